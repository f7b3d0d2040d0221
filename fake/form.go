package fake

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// form is a decoded JSON object body, read field by field so that presence, null and type
// problems are all seen. Problems collect in errs, keyed by field name, and are answered
// together as one 400.
type form struct {
	raw  map[string]json.RawMessage
	errs map[string]string
}

// parseForm decodes body as a JSON object. An empty body is an empty object.
func parseForm(body []byte) (*form, *apiError) {
	f := &form{}
	if len(bytes.TrimSpace(body)) == 0 {
		return f, nil
	}
	if raw, ok := splitObject(body); ok {
		f.raw = raw
		return f, nil
	}
	if err := json.Unmarshal(body, &f.raw); err != nil {
		if isJSONType(body, '[', '"', 't', 'f', 'n') || isNumberStart(body) {
			return nil, errBadRequest("request body must be a JSON object")
		}
		return nil, errBadRequest("request body is not valid JSON: %s", cleanJSONError(err))
	}
	if f.raw == nil { // the literal null
		return nil, errBadRequest("request body must be a JSON object")
	}
	return f, nil
}

// splitObject splits a valid JSON object into its members, each value as it was sent, without
// the decoder: the common case of a body. It leaves anything else (invalid JSON, another type,
// a key with escapes or non-ASCII bytes) to encoding/json, which reads it the same way or says
// what is wrong.
func splitObject(b []byte) (map[string]json.RawMessage, bool) {
	if !json.Valid(b) {
		return nil, false
	}
	i := skipSpace(b, 0)
	if b[i] != '{' {
		return nil, false
	}
	m := make(map[string]json.RawMessage, 8)
	if i = skipSpace(b, i+1); b[i] == '}' {
		return m, true
	}
	for {
		end := i + 1 // b[i] is the key's opening quote
		for b[end] != '"' {
			if b[end] == '\\' || b[end] >= 0x80 {
				return nil, false
			}
			end++
		}
		key := string(b[i+1 : end])
		i = skipSpace(b, skipSpace(b, end+1)+1) // past the colon
		start := i
		i = skipValue(b, i)
		m[key] = json.RawMessage(b[start:i])
		if i = skipSpace(b, i); b[i] == '}' {
			return m, true
		}
		i = skipSpace(b, i+1) // past the comma
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the valid JSON value that starts at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return i
}

// skipString returns the index just past the JSON string that starts at b[i].
func skipString(b []byte, i int) int {
	for i++; b[i] != '"'; i++ {
		if b[i] == '\\' {
			i++
		}
	}
	return i + 1
}

func isJSONType(body []byte, starts ...byte) bool {
	b := bytes.TrimSpace(body)
	return len(b) > 0 && slices.Contains(starts, b[0]) && json.Valid(b)
}

func isNumberStart(body []byte) bool {
	b := bytes.TrimSpace(body)
	return len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) && json.Valid(b)
}

// cleanJSONError keeps the decoder's message but drops the Go type names it mentions.
func cleanJSONError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, " into Go "); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

func (f *form) fail(name, problem string) {
	if f.errs == nil {
		f.errs = make(map[string]string)
	}
	if _, ok := f.errs[name]; !ok {
		f.errs[name] = problem
	}
}

// err is the 400 for every problem found, or nil.
func (f *form) err() *apiError {
	if len(f.errs) == 0 {
		return nil
	}
	return errFields(f.errs)
}

func (f *form) has(name string) bool {
	_, ok := f.raw[name]
	return ok
}

func (f *form) isNull(name string) bool {
	v, ok := f.raw[name]
	return ok && string(bytes.TrimSpace(v)) == "null"
}

// string reads a string field. ok is false when the field is absent or wrong (the problem is
// recorded).
func (f *form) string(name string) (s string, ok bool) {
	v, present := f.raw[name]
	if !present {
		return "", false
	}
	if s, ok := plainString(v); ok {
		return s, true
	}
	if err := json.Unmarshal(v, &s); err != nil || isNullRaw(v) {
		f.fail(name, "must be a string")
		return "", false
	}
	return s, true
}

// plainString reads a JSON string of printable ASCII without escapes, the common case, without
// the decoder; anything else is left to encoding/json.
func plainString(v json.RawMessage) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	inner := v[1 : len(v)-1]
	for _, c := range inner {
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return "", false
		}
	}
	return string(inner), true
}

// nonEmpty reads a string field that, when present, must hold at least one character.
func (f *form) nonEmpty(name string) (string, bool) {
	s, ok := f.string(name)
	if ok && strings.TrimSpace(s) == "" {
		f.fail(name, "must not be empty")
		return "", false
	}
	return s, ok
}

func (f *form) bool(name string) (b bool, ok bool) {
	v, present := f.raw[name]
	if !present {
		return false, false
	}
	switch string(v) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	if err := json.Unmarshal(v, &b); err != nil || isNullRaw(v) {
		f.fail(name, "must be a boolean")
		return false, false
	}
	return b, true
}

func (f *form) number(name string) (n float64, ok bool) {
	v, present := f.raw[name]
	if !present {
		return 0, false
	}
	if err := json.Unmarshal(v, &n); err != nil || isNullRaw(v) {
		f.fail(name, "must be a number")
		return 0, false
	}
	return n, true
}

func (f *form) strings(name string) (ss []string, ok bool) {
	v, present := f.raw[name]
	if !present {
		return nil, false
	}
	if err := json.Unmarshal(v, &ss); err != nil || isNullRaw(v) {
		f.fail(name, "must be an array of strings")
		return nil, false
	}
	if ss == nil {
		ss = []string{}
	}
	return ss, true
}

// object reads a field that must be a JSON object and returns it compacted.
func (f *form) object(name string) (json.RawMessage, bool) {
	v, present := f.raw[name]
	if !present {
		return nil, false
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(v, &probe); err != nil || probe == nil {
		f.fail(name, "must be an object")
		return nil, false
	}
	return compact(v), true
}

// subForm reads a field that must be a JSON object, as a form of its own.
func (f *form) subForm(name string) (*form, bool) {
	v, present := f.raw[name]
	if !present {
		return nil, false
	}
	sub := &form{}
	if err := json.Unmarshal(v, &sub.raw); err != nil || sub.raw == nil {
		f.fail(name, "must be an object")
		return nil, false
	}
	return sub, true
}

// anyJSON reads a field of any JSON type (null included) and returns it compacted.
func (f *form) anyJSON(name string) (json.RawMessage, bool) {
	v, present := f.raw[name]
	if !present {
		return nil, false
	}
	return compact(v), true
}

func isNullRaw(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

func compact(v json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return v
	}
	return b.Bytes()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
