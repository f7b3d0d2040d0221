package membrane_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	membrane "github.com/membrane-community/membrane-go"
)

// secretForms returns the ways the bytes of a secret could show up in output: as they are, in
// hex (either case, with or without spaces), as decimal bytes (as fmt prints a []byte) and in
// base64 (every alphabet, with and without padding).
func secretForms(secret []byte) []string {
	dec := make([]string, len(secret))
	for i, b := range secret {
		dec[i] = strconv.Itoa(int(b))
	}
	h := hex.EncodeToString(secret)
	return []string{
		string(secret), h, strings.ToUpper(h), fmt.Sprintf("% x", secret), fmt.Sprintf("% X", secret),
		strings.Join(dec, " "), strings.Join(dec, ","), strings.Join(dec, ", "),
		base64.StdEncoding.EncodeToString(secret), base64.URLEncoding.EncodeToString(secret),
		base64.RawStdEncoding.EncodeToString(secret), base64.RawURLEncoding.EncodeToString(secret),
	}
}

// containers returns v (of any type) in every kind of container: itself, a pointer, slices and
// arrays of values and pointers, maps, structs, interfaces and nests of them.
func containers(v any) map[string]any {
	rv := reflect.ValueOf(v)
	t := rv.Type()
	ptr := reflect.New(t)
	ptr.Elem().Set(rv)
	pt := ptr.Type()
	sliceOf := func(e reflect.Value) any {
		s := reflect.MakeSlice(reflect.SliceOf(e.Type()), 0, 1)
		return reflect.Append(s, e).Interface()
	}
	mapOf := func(e reflect.Value) any {
		m := reflect.MakeMap(reflect.MapOf(reflect.TypeFor[string](), e.Type()))
		m.SetMapIndex(reflect.ValueOf("k"), e)
		return m.Interface()
	}
	structOf := func(e reflect.Value) any {
		st := reflect.New(reflect.StructOf([]reflect.StructField{{Name: "F", Type: e.Type()}})).Elem()
		st.Field(0).Set(e)
		return st.Interface()
	}
	arr := reflect.New(reflect.ArrayOf(1, t)).Elem()
	arr.Index(0).Set(rv)
	ptrSlice := reflect.ValueOf(sliceOf(ptr))
	out := map[string]any{
		"value":              v,
		"pointer":            ptr.Interface(),
		"pointer to pointer": func() any { pp := reflect.New(pt); pp.Elem().Set(ptr); return pp.Interface() }(),
		"slice":              sliceOf(rv),
		"slice of pointers":  ptrSlice.Interface(),
		"slice of slices":    sliceOf(ptrSlice),
		"array":              arr.Interface(),
		"map":                mapOf(rv),
		"map of pointers":    mapOf(ptr),
		"struct":             structOf(rv),
		"struct of pointer":  structOf(ptr),
		"pointer to struct": func() any {
			s := reflect.ValueOf(structOf(ptr))
			p := reflect.New(s.Type())
			p.Elem().Set(s)
			return p.Interface()
		}(),
		"slice of any": []any{v, ptr.Interface()},
		"map of any":   map[string]any{"v": v, "p": ptr.Interface()},
	}
	if t.Comparable() {
		m := reflect.MakeMap(reflect.MapOf(t, reflect.TypeFor[int]()))
		m.SetMapIndex(rv, reflect.ValueOf(1))
		out["map key"] = m.Interface()
	}
	return out
}

// walkVerbs are the verbs and flags a value may be printed with.
var walkVerbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "% x", "%d", "%o", "%10s", "%-30v", "%.40s", "%T"}

// Every exported type that holds a secret keeps it, in every container, from every fmt verb,
// from both slog handlers and from json.Marshal.
func TestSecretsNeverLeakFromAnyContainer(t *testing.T) {
	t.Parallel()
	rawCreds := []byte(`{"apiKey":"` + secretValue + `"}`)
	creds := membrane.Credentials(rawCreds)
	ws := membrane.OrgWorkspace{ID: "w1", Name: "Acme", Key: "k1", Secret: secretValue}
	cu := membrane.Customer{ID: "c1", Name: "Acme", Credentials: creds}
	signer := testEd25519Key()
	client, err := membrane.NewClient(membrane.WithToken(secretValue))
	require.NoError(t, err)
	wc, err := membrane.NewWorkspaceClient(membrane.WithWorkspaceCredentials("key", secretValue, membrane.WorkspaceClaims{}))
	require.NoError(t, err)

	values := map[string]any{
		"Secret":                                 membrane.Secret(secretValue),
		"Credentials":                            creds,
		"OrgWorkspace":                           ws,
		"OrgWorkspaceList":                       membrane.OrgWorkspaceList{Items: []*membrane.OrgWorkspace{&ws}, Cursor: "c"},
		"Customer":                               cu,
		"CustomerList":                           membrane.CustomerList{Items: []*membrane.Customer{&cu}},
		"CreateCustomerRequest":                  membrane.CreateCustomerRequest{Name: "Acme", Credentials: map[string]any{"apiKey": secretValue}},
		"CreateCustomerRequest with Credentials": membrane.CreateCustomerRequest{Name: "Acme", Credentials: creds},
		"UpdateCustomerRequest":                  membrane.UpdateCustomerRequest{Name: membrane.Set("Acme"), Credentials: membrane.Set[any](creds)},
		"ReplaceCustomerRequest":                 membrane.ReplaceCustomerRequest{Name: "Acme", Credentials: secretValue},
		"Optional secret":                        membrane.Set(membrane.Secret(secretValue)),
		"WorkspaceClaims":                        membrane.WorkspaceClaims{TenantKey: "t", Signer: signer},
		"Client":                                 *client,
		"WorkspaceClient":                        *wc,
		"StaticToken":                            membrane.StaticToken(secretValue),
	}
	forms := append(secretForms([]byte(secretValue)), secretForms(rawCreds)...)
	forms = append(forms, secretForms(signer)...)
	forms = append(forms, secretForms(signer.Seed())...)
	check := func(t *testing.T, what, out string) {
		t.Helper()
		for _, form := range forms {
			if strings.Contains(out, form) {
				t.Errorf("%s leaks the secret (as %q): %s", what, form, out)
			}
		}
	}
	handlers := map[string]func(*strings.Builder) slog.Handler{
		"text": func(b *strings.Builder) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *strings.Builder) slog.Handler { return slog.NewJSONHandler(b, nil) },
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for where, c := range containers(v) {
				for _, verb := range walkVerbs {
					check(t, where+" "+verb, fmt.Sprintf(verb, c))
				}
				check(t, where+" Sprint", fmt.Sprint(c))
				for hname, h := range handlers {
					if where == "map key" && hname == "json" {
						continue // encoding/json writes a key of a string type as it is (see Secret)
					}
					var b strings.Builder
					slog.New(h(&b)).Info("m", "v", c, slog.Any("any", c), slog.Group("g", "v", c))
					check(t, where+" slog "+hname, b.String())
				}
				if b, err := json.Marshal(c); err == nil && where != "map key" {
					check(t, where+" json.Marshal", string(b))
				}
			}
		})
	}
}

// The value still reaches the server: json.Marshal redacts, the client's own encoding does not.
func TestRedactedJSONIsNotWhatTheClientSends(t *testing.T) {
	t.Parallel()
	s := answer(http.StatusOK, map[string]any{"id": "c1", "name": "Acme"})
	wc, err := membrane.NewWorkspaceClient(membrane.WithBaseURL(testHubURL), membrane.WithToken(testToken),
		membrane.WithHTTPClient(s.HTTPClient()))
	require.NoError(t, err)
	req := &membrane.CreateCustomerRequest{Name: "Acme", Credentials: map[string]any{"apiKey": secretValue}}
	b, err := json.Marshal(req)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"Acme","credentials":"[REDACTED]"}`, string(b))
	_, err = wc.Customers.Create(t.Context(), req)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"Acme","credentials":{"apiKey":"`+secretValue+`"}}`, string(s.Requests()[0].Body))
}
