package membrane

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
)

// redacted is what every printed Secret looks like.
const redacted = "[REDACTED]"

// Secret is a workspace secret or another credential. Nothing prints it by accident: fmt (every
// verb, inside any slice, map, pointer or struct), slog (every handler) and json.Marshal all write
// "[REDACTED]". The one exception is a map keyed by Secret: encoding/json writes a key of a
// string type as it is, so json.Marshal and slog's JSON handler show such a key; never key a map
// by a Secret. Call Reveal to get the value; the client itself sends the value where the API
// needs it.
//
// To store a secret, store Reveal(): json.Unmarshal of "[REDACTED]" into a Secret is an error,
// so that a secret marshalled by mistake cannot come back as the word "[REDACTED]".
type Secret string

// Reveal returns the secret's value. Call it only where the value is needed, never to log it.
func (s Secret) Reveal() string { return string(s) }

// String returns "[REDACTED]".
func (s Secret) String() string { return redacted }

// GoString returns "[REDACTED]", so that %#v does not print the value either.
func (s Secret) GoString() string { return redacted }

// Format prints "[REDACTED]" whatever the verb and flags.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue makes slog print "[REDACTED]".
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON writes "[REDACTED]": json.Marshal of any value of this package never holds a secret.
func (s Secret) MarshalJSON() ([]byte, error) { return redactedJSON, nil }

// UnmarshalJSON reads a JSON string. "[REDACTED]" is refused: it is what json.Marshal wrote in
// place of a secret, not a secret.
func (s *Secret) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("membrane: a Secret must be a JSON string: %w", err)
	}
	if v == redacted {
		return errRedactedSecret
	}
	*s = Secret(v)
	return nil
}

// errRedactedSecret is the error of reading back a secret that was written redacted.
var errRedactedSecret = errors.New(`membrane: the secret reads "[REDACTED]": json.Marshal writes secrets redacted; ` +
	`to store one, store its Reveal() and make a Secret of it again`)

// redactedJSON is "[REDACTED]" as a JSON string.
var redactedJSON = []byte(`"` + redacted + `"`)

// Credentials are a customer's credentials as raw JSON. Like a Secret, fmt, slog and json.Marshal
// write "[REDACTED]" in their place, while the client sends them as they are; Reveal returns
// them.
type Credentials json.RawMessage

// Reveal returns the credentials as JSON.
func (c Credentials) Reveal() json.RawMessage { return json.RawMessage(c) }

// MarshalJSON writes "[REDACTED]", or null when there are no credentials.
func (c Credentials) MarshalJSON() ([]byte, error) {
	if len(c) == 0 {
		return []byte("null"), nil
	}
	return redactedJSON, nil
}

// UnmarshalJSON keeps a copy of the JSON. "[REDACTED]" is refused, as for a Secret.
func (c *Credentials) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), redactedJSON) {
		return errRedactedSecret
	}
	*c = append((*c)[:0], b...)
	return nil
}

// String returns "[REDACTED]".
func (c Credentials) String() string { return redacted }

// GoString returns "[REDACTED]".
func (c Credentials) GoString() string { return redacted }

// Format prints "[REDACTED]" whatever the verb and flags.
func (c Credentials) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue makes slog print "[REDACTED]".
func (c Credentials) LogValue() slog.Value { return slog.StringValue(redacted) }

// wireJSON encodes a request body as the API must receive it: with the value of every Secret and
// Credentials that it holds, where json.Marshal would write "[REDACTED]". It looks into the
// request types of this package, and into maps, slices and pointers of any kind.
func wireJSON(body any) ([]byte, error) {
	if raw, ok := body.(json.RawMessage); ok {
		return raw, nil
	}
	return json.Marshal(reveal(body))
}

// reveal returns v with every Secret and Credentials it holds (directly, or in a map, slice,
// array or pointer) replaced by its value. Other values are returned as they are.
func reveal(v any) any {
	switch t := v.(type) {
	case nil:
		return nil
	case Secret:
		return t.Reveal()
	case Credentials:
		if len(t) == 0 {
			return nil
		}
		return t.Reveal()
	case interface{ wire() any }:
		return t.wire()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		if rv.IsNil() || rv.Type().Key().Kind() != reflect.String {
			return v
		}
		out := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			out[it.Key().String()] = reveal(it.Value().Interface())
		}
		return out
	case reflect.Slice, reflect.Array:
		if (rv.Kind() == reflect.Slice && rv.IsNil()) || rv.Type().Elem().Kind() == reflect.Uint8 {
			return v // nil, and bytes (json.RawMessage among them), stay as they are
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = reveal(rv.Index(i).Interface())
		}
		return out
	case reflect.Pointer:
		if rv.IsNil() {
			return v
		}
		if e := rv.Elem(); e.Kind() != reflect.Struct {
			return reveal(e.Interface())
		}
	}
	return v
}

// formatPlain prints v as fmt would with the verb and flags of f. v is a value of a type that
// has the fields of the type called name but none of its methods (so printing it does not call
// the Format method that calls formatPlain); %#v shows name as the type.
func formatPlain(f fmt.State, verb rune, v any, name string) {
	out := fmt.Sprintf(fmt.FormatString(f, verb), v)
	if verb == 'v' && f.Flag('#') {
		out = strings.Replace(out, fmt.Sprintf("%T", v), name, 1)
	}
	_, _ = io.WriteString(f, out)
}

// logPage logs a page of items by their LogValue, and its cursor, so that a log line holds what
// tells the items apart rather than each item whole.
func logPage[T any, P interface {
	*T
	slog.LogValuer
}](items []P, cursor string) slog.Value {
	attrs := make([]slog.Attr, 0, len(items))
	for i, it := range items {
		v := slog.AnyValue(nil)
		if it != nil {
			v = it.LogValue()
		}
		attrs = append(attrs, slog.Attr{Key: strconv.Itoa(i), Value: v})
	}
	return slog.GroupValue(slog.Attr{Key: "items", Value: slog.GroupValue(attrs...)}, slog.String("cursor", cursor))
}
