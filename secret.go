package membrane

import (
	"fmt"
	"io"
	"log/slog"
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
