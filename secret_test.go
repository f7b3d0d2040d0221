package membrane_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/membrane-community/membrane-go"
)

const secretValue = "sk-very-secret-value"

// leakForms are the ways the secret value could show up in printed text.
var leakForms = []string{
	secretValue,
	fmt.Sprintf("%x", secretValue),
	fmt.Sprintf("%X", secretValue),
	fmt.Sprintf("% x", secretValue),
	"very-secret",
}

func assertNoLeak(t *testing.T, out string) {
	t.Helper()
	for _, form := range leakForms {
		assert.NotContains(t, out, form)
	}
}

var verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "% x", "%d", "%10s", "%-30v", "%.3s", "%T"}

func TestSecretIsNeverPrinted(t *testing.T) {
	t.Parallel()
	s := membrane.Secret(secretValue)
	for _, verb := range verbs {
		out := fmt.Sprintf(verb, s)
		assertNoLeak(t, out)
		if verb != "%T" {
			assert.Equal(t, "[REDACTED]", out, verb)
		}
	}
	assert.Equal(t, "[REDACTED]", s.String())
	assert.Equal(t, "[REDACTED]", s.GoString())
	assertNoLeak(t, fmt.Sprint(s, &s, []membrane.Secret{s}, map[string]membrane.Secret{"k": s}))
	assertNoLeak(t, fmt.Sprintln(s))
	assert.Equal(t, secretValue, s.Reveal())
}

func TestSecretInsideAStructIsNeverPrinted(t *testing.T) {
	t.Parallel()
	ws := membrane.OrgWorkspace{ID: "w1", Key: "k1", Secret: secretValue}
	for _, verb := range verbs {
		assertNoLeak(t, fmt.Sprintf(verb, ws))
		assertNoLeak(t, fmt.Sprintf(verb, &ws))
		assertNoLeak(t, fmt.Sprintf(verb, []*membrane.OrgWorkspace{&ws}))
	}
	assert.Contains(t, fmt.Sprintf("%+v", ws), "Secret:[REDACTED]")
	assert.Contains(t, fmt.Sprintf("%#v", ws), "Secret:[REDACTED]")
}

func TestSecretIsNeverLogged(t *testing.T) {
	t.Parallel()
	ws := membrane.OrgWorkspace{ID: "w1", Key: "k1", Secret: secretValue}
	handlers := map[string]func(*syncBuffer) slog.Handler{
		"text": func(b *syncBuffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *syncBuffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	}
	for name, handler := range handlers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var buf syncBuffer
			logger := slog.New(handler(&buf))
			logger.Info("secret", "secret", ws.Secret, slog.Any("any", ws.Secret))
			logger.Info("workspace", "ws", ws, "ptr", &ws)
			logger.Info("group", slog.Group("g", "secret", ws.Secret))
			out := buf.String()
			assertNoLeak(t, out)
			assert.Contains(t, out, "[REDACTED]")
			assert.Contains(t, out, "w1", "the workspace's identity is logged")
		})
	}
}

func TestCustomerLogLeavesCredentialsOut(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	cu := membrane.Customer{ID: "c1", Name: "Acme", Credentials: membrane.Credentials(`{"apiKey":"` + secretValue + `"}`)}
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("customer", "customer", cu)
	assertNoLeak(t, buf.String())
	assert.Contains(t, buf.String(), `"id":"c1"`)
}

func TestSecretMarshalsRedactedAndRefusesToComeBack(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(membrane.OrgWorkspace{ID: "w1", Secret: secretValue})
	require.NoError(t, err)
	assert.Contains(t, string(b), `"secret":"[REDACTED]"`)
	assertNoLeak(t, string(b))

	var back membrane.OrgWorkspace
	err = json.Unmarshal(b, &back)
	require.Error(t, err, "a redacted secret does not come back as the word [REDACTED]")
	assert.Contains(t, err.Error(), "Reveal()")

	b, err = json.Marshal(map[string]membrane.Secret{"s": secretValue})
	require.NoError(t, err)
	assert.JSONEq(t, `{"s":"[REDACTED]"}`, string(b))

	// What was stored with Reveal() comes back whole.
	require.NoError(t, json.Unmarshal([]byte(`{"id":"w1","secret":"`+secretValue+`"}`), &back))
	assert.Equal(t, secretValue, back.Secret.Reveal())

	var creds membrane.Credentials
	require.Error(t, json.Unmarshal([]byte(`"[REDACTED]"`), &creds))
	require.NoError(t, json.Unmarshal([]byte(`{"k":"v"}`), &creds))
	assert.JSONEq(t, `{"k":"v"}`, string(creds.Reveal()))
}

func TestErrorsNeverCarryTheToken(t *testing.T) {
	t.Parallel()
	s := answer(401, map[string]any{"type": "bad_request", "key": "not_authenticated", "message": "bad token"})
	_, err := newClient(t, s).OrgWorkspaces.Get(t.Context(), "w1")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), testToken)
	assert.NotContains(t, fmt.Sprintf("%+v", err), testToken)
}

func TestCustomerCredentialsAreNeverPrinted(t *testing.T) {
	t.Parallel()
	creds := map[string]any{"apiKey": secretValue}
	cu := membrane.Customer{ID: "c1", Name: "Acme", Credentials: membrane.Credentials(`{"apiKey":"` + secretValue + `"}`)}
	values := map[string]struct {
		v    any
		name string // the type name %#v shows
	}{
		"Customer":               {cu, "membrane.Customer"},
		"CreateCustomerRequest":  {membrane.CreateCustomerRequest{Name: "Acme", Credentials: creds}, "membrane.CreateCustomerRequest"},
		"UpdateCustomerRequest":  {membrane.UpdateCustomerRequest{Name: membrane.Set("Acme"), Credentials: membrane.Set[any](creds)}, "membrane.UpdateCustomerRequest"},
		"ReplaceCustomerRequest": {membrane.ReplaceCustomerRequest{Name: "Acme", Credentials: secretValue}, "membrane.ReplaceCustomerRequest"},
	}
	for name, tc := range values {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, verb := range verbs {
				assertNoLeak(t, fmt.Sprintf(verb, tc.v))
			}
			ptr := reflect.New(reflect.TypeOf(tc.v))
			ptr.Elem().Set(reflect.ValueOf(tc.v))
			for _, verb := range verbs {
				assertNoLeak(t, fmt.Sprintf(verb, ptr.Interface()))
			}
			assert.Contains(t, fmt.Sprintf("%+v", tc.v), "Name:")
			assert.Contains(t, fmt.Sprintf("%+v", tc.v), "Credentials:[REDACTED]")
			assert.True(t, strings.HasPrefix(fmt.Sprintf("%#v", tc.v), tc.name+"{"), fmt.Sprintf("%#v", tc.v))
			assert.Contains(t, fmt.Sprintf("%#v", tc.v), "[REDACTED]")
			assert.Equal(t, tc.name, fmt.Sprintf("%T", tc.v))

			var buf syncBuffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("value", "v", tc.v)
			assertNoLeak(t, buf.String())

			b, err := json.Marshal(tc.v)
			require.NoError(t, err)
			assertNoLeak(t, string(b))
			assert.Contains(t, string(b), `"credentials":"[REDACTED]"`)
		})
	}

	list := membrane.CustomerList{Items: []*membrane.Customer{&cu}}
	for _, verb := range verbs {
		assertNoLeak(t, fmt.Sprintf(verb, list))
		assertNoLeak(t, fmt.Sprintf(verb, list.Items))
		assertNoLeak(t, fmt.Sprintf(verb, []membrane.Customer{cu}))
	}
	assert.Contains(t, fmt.Sprintf("%v", membrane.Customer{ID: "c2"}), "c2 ", "the other fields print")
	assert.Contains(t, fmt.Sprintf("%+v", membrane.CreateCustomerRequest{Name: "n"}), "Credentials:<nil>", "unset credentials show as such")
}
