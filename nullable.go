package membrane

import (
	"bytes"
	"encoding/json"
)

// Ptr returns a pointer to v. Use it to fill the optional fields of update requests:
// Name: membrane.Ptr("new name"), IsReadOnly: membrane.Ptr(false).
func Ptr[T any](v T) *T { return &v }

// Nullable is an optional field that can also be sent as JSON null: the zero value is "not set"
// (the field is left out, thanks to its omitzero tag), Null() sends null, NullableValue(v) sends v.
type Nullable[T any] struct {
	value T
	set   bool
	null  bool
}

// Null returns a Nullable that is sent as JSON null, which clears the field on the server.
func Null[T any]() Nullable[T] { return Nullable[T]{set: true, null: true} }

// NullableValue returns a Nullable that is sent as v.
func NullableValue[T any](v T) Nullable[T] { return Nullable[T]{value: v, set: true} }

// IsZero reports whether n is unset, which makes encoding/json leave it out under omitzero.
func (n Nullable[T]) IsZero() bool { return !n.set }

// IsNull reports whether n is set to null.
func (n Nullable[T]) IsNull() bool { return n.set && n.null }

// Get returns the value and true when n holds a value (neither unset nor null).
func (n Nullable[T]) Get() (T, bool) { return n.value, n.set && !n.null }

// MarshalJSON writes null or the value. An unset Nullable also writes null; the omitzero tag
// keeps it out of requests.
func (n Nullable[T]) MarshalJSON() ([]byte, error) {
	if !n.set || n.null {
		return []byte("null"), nil
	}
	return json.Marshal(n.value)
}

// UnmarshalJSON reads null or a value; either way n becomes set.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*n = Null[T]()
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*n = NullableValue(v)
	return nil
}
