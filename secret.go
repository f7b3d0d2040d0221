package membrane

import (
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
)

// redacted is what every printed Secret looks like.
const redacted = "[REDACTED]"

// Secret is a workspace secret or another credential. JSON carries it as the plain string, so it
// goes over the wire unchanged, but fmt (every verb) and slog print "[REDACTED]".
// Call Reveal to get the value.
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

// redactedField stands in for a credential field when a struct is printed: it prints
// "[REDACTED]" when the field was set, "<nil>" when it was not, whatever the verb.
type redactedField bool

// Format prints "[REDACTED]" or "<nil>".
func (r redactedField) Format(f fmt.State, _ rune) {
	if r {
		_, _ = io.WriteString(f, redacted)
		return
	}
	_, _ = io.WriteString(f, "<nil>")
}

var redactedFieldType = reflect.TypeFor[redactedField]()

// formatRedacted prints v, a struct whose type prints as name (for %#v), as fmt would with the
// verb and flags of f, but with the fields named in credentials shown as redactedField. It copies
// v into a struct type made for the purpose, which has v's exported fields and no methods.
func formatRedacted(f fmt.State, verb rune, v any, name string, credentials ...string) {
	rv := reflect.ValueOf(v)
	t := rv.Type()
	var (
		fields []reflect.StructField
		from   []int // the index in t of each field of the view
	)
	for i := range t.NumField() {
		field := t.Field(i)
		if !field.IsExported() {
			continue
		}
		typ := field.Type
		if slices.Contains(credentials, field.Name) {
			typ = redactedFieldType
		}
		fields = append(fields, reflect.StructField{Name: field.Name, Type: typ})
		from = append(from, i)
	}
	view := reflect.New(reflect.StructOf(fields)).Elem()
	for i, j := range from {
		if fields[i].Type == redactedFieldType {
			view.Field(i).SetBool(!rv.Field(j).IsZero())
		} else {
			view.Field(i).Set(rv.Field(j))
		}
	}
	out := fmt.Sprintf(fmt.FormatString(f, verb), view.Interface())
	if verb == 'v' && f.Flag('#') {
		out = strings.Replace(out, view.Type().String(), name, 1)
	}
	_, _ = io.WriteString(f, out)
}
