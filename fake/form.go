package fake

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// form is a decoded JSON object body, read field by field so that presence, null and type
// problems are all seen. Problems collect in errs, keyed by field name, and are reported
// together as one 400.
type form struct {
	raw  map[string]json.RawMessage
	errs map[string]string
}

// parseForm decodes body as a JSON object. An empty body (or one of JSON whitespace only) is an
// empty object. A key sent twice keeps its last value, as encoding/json does.
func parseForm(body []byte) (*form, *apiError) {
	f := &form{}
	b := trimJSONSpace(body)
	if len(b) == 0 {
		return f, nil
	}
	if err := json.Unmarshal(b, &f.raw); err != nil {
		if json.Valid(b) {
			return nil, errBadRequest("request body must be a JSON object")
		}
		return nil, errBadRequest("request body is not valid JSON: %s", cleanJSONError(err))
	}
	if f.raw == nil { // the literal null
		return nil, errBadRequest("request body must be a JSON object")
	}
	return f, nil
}

// decodeStrict decodes body, a JSON object, into v: a field v does not have, or anything after
// the object, is an error.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if rest := trimJSONSpace(body[dec.InputOffset():]); len(rest) > 0 {
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}

// isJSONSpace tells whether c is whitespace in JSON: space, tab, line feed or carriage return,
// and nothing else.
func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// trimJSONSpace cuts JSON whitespace from both ends of b.
func trimJSONSpace(b []byte) []byte {
	for len(b) > 0 && isJSONSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isJSONSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// cleanJSONError keeps the decoder's message but drops the Go type names it mentions. A value of
// the wrong type is told by its field and the JSON type wanted instead.
func cleanJSONError(err error) string {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		msg := "a JSON " + te.Value + " where " + jsonKind(te.Type) + " is wanted"
		if te.Field != "" {
			msg = te.Field + ": " + msg
		}
		return msg
	}
	msg := err.Error()
	if i := strings.Index(msg, " into Go "); i >= 0 {
		msg = msg[:i]
	}
	return strings.TrimPrefix(msg, "json: ")
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
	return ok && isNullRaw(v)
}

// string reads a string field. ok is false when the field is absent or wrong (the problem is
// recorded).
func (f *form) string(name string) (s string, ok bool) {
	v, present := f.raw[name]
	if !present {
		return "", false
	}
	if err := json.Unmarshal(v, &s); err != nil || isNullRaw(v) {
		f.fail(name, "must be a string")
		return "", false
	}
	return s, true
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

// strings reads a field that must be an array of strings; a null in it is a problem.
func (f *form) strings(name string) (ss []string, ok bool) {
	v, present := f.raw[name]
	if !present {
		return nil, false
	}
	var items []*string
	if err := json.Unmarshal(v, &items); err != nil || isNullRaw(v) || slices.Contains(items, nil) {
		f.fail(name, "must be an array of strings")
		return nil, false
	}
	ss = make([]string, len(items))
	for i, s := range items {
		ss[i] = *s
	}
	return ss, true
}

// object reads a field that must be a JSON object and returns it in its stored form (see
// storedJSON).
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
	return f.stored(name, v)
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

// anyJSON reads a field of any JSON type (null included) and returns it in its stored form.
func (f *form) anyJSON(name string) (json.RawMessage, bool) {
	v, present := f.raw[name]
	if !present {
		return nil, false
	}
	return f.stored(name, v)
}

func (f *form) stored(name string, v json.RawMessage) (json.RawMessage, bool) {
	out, err := storedJSON(v)
	if err != nil {
		f.fail(name, err.Error())
		return nil, false
	}
	return out, true
}

// storedJSON is the form in which a value the fake keeps as raw JSON is stored and sent back:
// what encoding/json reads from it into an any and writes again, so that it is valid UTF-8
// (invalid bytes in strings become U+FFFD), holds each key once (the last one sent wins), and
// holds no number a reader of float64 cannot take (1e400). Numbers keep the digits they were
// sent with.
func storedJSON(v json.RawMessage) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, errors.New("must be valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF { // a seed given in Go may hold anything
		return nil, errors.New("must be one JSON value")
	}
	if err := checkNumbers(x); err != nil {
		return nil, err
	}
	return encodeJSON(x)
}

// encodeJSON writes v as encoding/json does, without escaping <, > and & (what the fake keeps
// and passes between hub and instance is JSON, not HTML, and stays as small as its values).
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// checkNumbers refuses a number that does not fit a float64.
func checkNumbers(x any) error {
	switch x := x.(type) {
	case json.Number:
		if _, err := strconv.ParseFloat(string(x), 64); err != nil {
			return errors.New("holds the number " + string(x) + ", which is out of range")
		}
	case map[string]any:
		for _, v := range x {
			if err := checkNumbers(v); err != nil {
				return err
			}
		}
	case []any:
		for _, v := range x {
			if err := checkNumbers(v); err != nil {
				return err
			}
		}
	}
	return nil
}

func isNullRaw(v json.RawMessage) bool { return string(trimJSONSpace(v)) == "null" }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// jsonProblem is a decoding error told as cleanJSONError tells it, still wrapping the error of
// encoding/json.
type jsonProblem struct{ err error }

func (p jsonProblem) Error() string { return cleanJSONError(p.err) }
func (p jsonProblem) Unwrap() error { return p.err }

// jsonKind names the JSON values that decode into a Go value of type t.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array"
	case reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another value"
}
