package fake

import (
	"encoding/json"
	"slices"
	"time"
	"unicode/utf8"
)

// jsonAppender is an answer that writes its own JSON, byte for byte what encoding/json would
// write for its wire shape, without reflection: org workspaces are the answers the fake writes most, one
// by one and a hundred to a page.
type jsonAppender interface {
	appendJSON(dst []byte) ([]byte, error)
}

// appendWorkspace writes the OrgWorkspace of version w straight from the version, with no
// struct in between and no formatted times kept. render_test.go holds the struct whose
// encoding/json form it must match byte for byte.
func (h *hub) appendWorkspace(dst []byte, w *orgWorkspace, baseURI string) ([]byte, error) {
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, w.id)
	dst = appendField(dst, "name", w.name)
	dst = appendField(dst, "orgId", w.orgID)
	dst = appendField(dst, "key", w.key)
	dst = appendField(dst, "secret", w.secret)
	dst = appendTimeField(dst, "createdAt", w.createdAt)
	dst = appendTimeField(dst, "updatedAt", w.updatedAt)
	if w.archivedAt != nil {
		dst = appendTimeField(dst, "archivedAt", *w.archivedAt)
	}
	if w.instanceID != "" {
		dst = appendField(dst, "membraneInstanceId", w.instanceID)
	}
	dst = appendField(dst, "apiBaseUri", baseURI)
	if w.logoURI != "" {
		dst = appendField(dst, "logoUri", w.logoURI)
	}
	return appendConfig(dst, &w.cfg)
}

func appendTimeField(dst []byte, name string, t time.Time) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':', '"')
	dst = t.UTC().AppendFormat(dst, timeLayout)
	return append(dst, '"')
}

// appendConfig writes the instance-level fields of an OrgWorkspace and closes the object.
func appendConfig(dst []byte, c *wsConfig) ([]byte, error) {
	dst = append(dst, `,"settings":`...)
	if c.Settings == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '{')
		for i, k := range sortedKeys(c.Settings) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendBool(dst, c.Settings[k])
		}
		dst = append(dst, '}')
	}
	var err error
	switch {
	case c.PublicKeys == nil:
		dst = append(dst, `,"publicKeys":null`...)
	case len(c.PublicKeys) == 0:
		dst = append(dst, `,"publicKeys":[]`...)
	default:
		if dst, err = appendMarshaled(dst, "publicKeys", c.PublicKeys); err != nil {
			return nil, err
		}
	}
	if c.WebhookURI != "" {
		dst = appendField(dst, "webhookUri", c.WebhookURI)
	}
	dst = append(dst, `,"enabledWebhookEvents":`...)
	if c.EnabledWebhookEvents == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, ev := range c.EnabledWebhookEvents {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, ev)
		}
		dst = append(dst, ']')
	}
	if c.JWKSURI != nil {
		dst = appendField(dst, "jwksUri", *c.JWKSURI)
	}
	dst = appendField(dst, "type", c.Type)
	dst = append(dst, `,"isReadOnly":`...)
	dst = appendBool(dst, c.IsReadOnly)
	if len(c.Limits) > 0 {
		if dst, err = appendMarshaled(dst, "limits", c.Limits); err != nil {
			return nil, err
		}
	}
	if len(c.UserFieldsSchema) > 0 {
		if dst, err = appendMarshaled(dst, "userFieldsSchema", c.UserFieldsSchema); err != nil {
			return nil, err
		}
	}
	if len(c.AlertDeliverySettings) > 0 {
		if dst, err = appendMarshaled(dst, "alertDeliverySettings", c.AlertDeliverySettings); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// workspacePage is a page of org workspaces: the versions to write, and the cursor.
type workspacePage struct {
	h      *hub
	items  []*orgWorkspace
	cursor string
}

func (p *workspacePage) appendJSON(dst []byte) ([]byte, error) {
	dst = slices.Grow(dst, 700*len(p.items)+64)
	dst = append(dst, `{"items":[`...)
	var err error
	for i, w := range p.items {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = p.h.appendWorkspace(dst, w, p.h.baseURIOf(w)); err != nil {
			return nil, err
		}
	}
	dst = append(dst, ']')
	if p.cursor != "" {
		dst = appendField(dst, "cursor", p.cursor)
	}
	return append(dst, '}'), nil
}

// MarshalJSON makes a page encode the same way wherever it goes.
func (p *workspacePage) MarshalJSON() ([]byte, error) { return p.appendJSON(nil) }

func (r renderLater) appendJSON(dst []byte) ([]byte, error) {
	return r.h.appendWorkspace(dst, r.ws, r.base)
}

func appendField(dst []byte, name, value string) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return appendJSONString(dst, value)
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

// appendMarshaled writes a field whose value encoding/json writes: the rare, nested ones.
func appendMarshaled(dst []byte, name string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return append(dst, b...), nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string exactly as encoding/json does: HTML-safe, with
// invalid UTF-8 replaced and U+2028 and U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
