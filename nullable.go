package membrane

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
)

// Ptr returns a pointer to v, for the optional filters of list options:
// IsTest: membrane.Ptr(false).
func Ptr[T any](v T) *T { return &v }

// Optional is an optional field of an update request, the one way every update request of this
// package says what to change. Its zero value is "unset": the field is left out of the request,
// and the server keeps what it has. Set(v) sends v, even false, "", 0 or an empty list; Null()
// sends null, which clears the field where the API takes null.
//
//	req := &membrane.UpdateOrgWorkspaceRequest{
//		Name:       membrane.Set("Acme"),
//		IsReadOnly: membrane.Set(false),        // sent, not dropped
//		JWKSURI:    membrane.Null[string](),   // cleared
//	}
//
// The fields that hold one have the omitzero option in their json tag, which is what leaves an
// unset one out. Answers decode into it too: a field that is present is set (or null), a missing
// one is unset.
type Optional[T any] struct {
	value T
	state optionalState
}

type optionalState uint8

const (
	optionalUnset optionalState = iota
	optionalValue
	optionalNull
)

// Set returns an Optional that is sent as v. A nil slice or map is sent as an empty one ([] or
// {}); use Null to send null. A nil json.RawMessage holds no value to send: a request that holds
// one fails before it is sent.
func Set[T any](v T) Optional[T] { return Optional[T]{value: v, state: optionalValue} }

// Null returns an Optional that is sent as JSON null, which clears the field on the server.
func Null[T any]() Optional[T] { return Optional[T]{state: optionalNull} }

// IsZero reports whether o is unset, which makes encoding/json leave it out under omitzero.
func (o Optional[T]) IsZero() bool { return o.state == optionalUnset }

// IsNull reports whether o is set to null.
func (o Optional[T]) IsNull() bool { return o.state == optionalNull }

// Get returns the value and true when o holds a value (neither unset nor null).
func (o Optional[T]) Get() (T, bool) { return o.value, o.state == optionalValue }

// String describes o: "unset", "null", or its value as fmt's %v prints it.
func (o Optional[T]) String() string {
	switch o.state {
	case optionalUnset:
		return "unset"
	case optionalNull:
		return "null"
	}
	return fmt.Sprintf("%v", o.value)
}

// Format prints o's value with the verb and flags given ("unset" or "null" when it holds none),
// and %#v as GoString does. The value is printed as a value of its own type, so a Secret in an
// Optional prints redacted with every verb.
func (o Optional[T]) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, o.GoString())
	case o.state == optionalValue:
		_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), o.value)
	default:
		_, _ = io.WriteString(f, o.String())
	}
}

// GoString prints o as the Go expression that makes it, for %#v: membrane.Set(v) with v as %#v
// prints it, membrane.Null[T]() or membrane.Optional[T]{}.
func (o Optional[T]) GoString() string {
	name := reflect.TypeFor[T]().String()
	switch o.state {
	case optionalUnset:
		return "membrane.Optional[" + name + "]{}"
	case optionalNull:
		return "membrane.Null[" + name + "]()"
	}
	return fmt.Sprintf("membrane.Set[%s](%#v)", name, o.value)
}

// MarshalJSON writes null or the value. An unset Optional also writes null; the omitzero tag
// keeps it out of requests.
func (o Optional[T]) MarshalJSON() ([]byte, error) {
	if o.state != optionalValue {
		return []byte("null"), nil
	}
	if raw, ok := any(o.value).(json.RawMessage); ok && raw == nil {
		return nil, errors.New("membrane: Set(json.RawMessage(nil)) holds no JSON value; use Null() to send null")
	}
	b, err := json.Marshal(o.value)
	if err == nil && bytes.Equal(b, []byte("null")) {
		// A nil slice or map is sent empty; any other value that writes null (a RawMessage
		// holding null, a nil pointer) is sent as it writes itself.
		if v := reflect.ValueOf(o.value); v.Kind() == reflect.Slice && v.IsNil() {
			return []byte("[]"), nil
		} else if v.Kind() == reflect.Map && v.IsNil() {
			return []byte("{}"), nil
		}
	}
	return b, err
}

// UnmarshalJSON reads null or a value; either way o becomes set.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*o = Null[T]()
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*o = Set(v)
	return nil
}

// wire returns o with the secrets of its value revealed (see wireJSON).
func (o Optional[T]) wire() any {
	if o.state != optionalValue {
		return nil
	}
	return reveal(any(o.value))
}
