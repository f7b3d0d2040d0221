package membrane

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

// redacted is what every printed Secret looks like.
const redacted = "[REDACTED]"

// Secret is a workspace secret or another credential. JSON carries it as the plain string, so it
// goes over the wire unchanged, but fmt (every verb) and slog print "[REDACTED]".
// Call Reveal to get the value.
//
// The types of this package that hold a Secret or Credentials (OrgWorkspace, Customer, their
// pages and the customer requests) log through their LogValue methods. A plain slice of them,
// such as []*OrgWorkspace, has none: slog's JSON handler marshals it as JSON, secret included.
// Log the page type, or the items one by one.
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

// Credentials are a customer's credentials as raw JSON. Like a Secret, JSON carries them as
// they are, while fmt (every verb) and slog print "[REDACTED]"; Reveal returns them.
type Credentials json.RawMessage

// Reveal returns the credentials as JSON.
func (c Credentials) Reveal() json.RawMessage { return json.RawMessage(c) }

// MarshalJSON writes the credentials as they are (null when empty).
func (c Credentials) MarshalJSON() ([]byte, error) {
	if len(c) == 0 {
		return []byte("null"), nil
	}
	return c, nil
}

// UnmarshalJSON keeps a copy of the JSON.
func (c *Credentials) UnmarshalJSON(b []byte) error {
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

// logPage logs a page of items by their LogValue, and its cursor, so that a JSON handler does not
// marshal the items (and the secrets that JSON carries).
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
