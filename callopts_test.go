package membrane_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	membrane "github.com/membrane-community/membrane-go"
)

// A 2xx answer that is not what the API promises is an error, never an empty value.
func TestAnswersThatAreNotWhatTheAPIPromises(t *testing.T) {
	t.Parallel()
	bodies := map[string]any{
		"null":            nil,
		"empty object":    map[string]any{},
		"no id":           map[string]any{"name": "Acme"},
		"list of null":    []any{nil},
		"not an object":   "workspace",
		"items null":      map[string]any{"items": nil},
		"item without id": map[string]any{"items": []any{map[string]any{"name": "x"}}},
	}
	calls := map[string]func(context.Context, *membrane.Client) error{
		"get": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Get(ctx, "w1")
			return err
		},
		"create": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{OrgID: "o1"})
			return err
		},
		"list": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.List(ctx, nil)
			return err
		},
		"instances": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.Instances.List(ctx, "o1")
			return err
		},
		"access token": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.AccessToken(ctx, "w1", nil)
			return err
		},
		"rotate secret": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.RotateSecret(ctx, "w1")
			return err
		},
	}
	for callName, call := range calls {
		for bodyName, body := range bodies {
			pageCall := callName == "list" || callName == "instances"
			pageBody := bodyName == "items null" || bodyName == "item without id"
			if pageBody && !pageCall {
				continue // a page body is no answer of a single thing, but not clearly wrong for it either
			}
			t.Run(callName+"/"+bodyName, func(t *testing.T) {
				t.Parallel()
				s := answer(http.StatusOK, body)
				err := call(t.Context(), newClient(t, s))
				require.Error(t, err)
				var apiErr *membrane.Error
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, http.StatusOK, apiErr.StatusCode)
				assert.Contains(t, err.Error(), "not what the API promises")
				assert.NotErrorIs(t, err, membrane.ErrNoResponse)
				assert.Len(t, s.Requests(), 1, "not retried")
			})
		}
	}
}

// All stops with an error at a cursor an earlier page gave: 1 -> 2 -> 1 would never end.
func TestAllStopsAtACursorCycle(t *testing.T) {
	t.Parallel()
	next := map[string]string{"": "1", "1": "2", "2": "1"}
	s := newStub(func(_ int, w http.ResponseWriter, r *http.Request) error {
		cursor := r.URL.Query().Get("cursor")
		writeJSON(w, http.StatusOK, map[string]any{"items": []any{workspaceJSON("w" + cursor)}, "cursor": next[cursor]})
		return nil
	})
	var ids []string
	var errs []error
	for ws, err := range newClient(t, s).OrgWorkspaces.All(t.Context(), nil) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, ws.ID)
	}
	assert.Equal(t, []string{"w", "w1", "w2"}, ids)
	require.Len(t, errs, 1)
	assert.ErrorContains(t, errs[0], `cursor "1", which an earlier page gave`)
	assert.Len(t, s.Requests(), 3)
}

func TestCallOptionsReachTheWire(t *testing.T) {
	t.Parallel()
	s := answer(http.StatusOK, workspaceJSON("w1"))
	c := newClient(t, s)
	var resp membrane.Response
	_, err := c.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: "o1"},
		membrane.WithIdempotencyKey("provision-o1"), membrane.WithHeader("traceparent", "00-abc-def-01"),
		membrane.WithHeader("X-Tag", "a"), membrane.WithHeader("x-tag", "b"), membrane.WithResponseInto(&resp))
	require.NoError(t, err)
	reqs := s.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "provision-o1", reqs[0].Header.Get("Idempotency-Key"))
	assert.Equal(t, "00-abc-def-01", reqs[0].Header.Get("Traceparent"))
	assert.Equal(t, []string{"a", "b"}, reqs[0].Header.Values("X-Tag"))
	assert.Equal(t, membrane.Response{StatusCode: 200, Header: resp.Header, RequestID: "req-1", Attempts: 1}, resp)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))

	// The headers the client sets by default are replaced, not doubled.
	_, err = c.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: "o1"},
		membrane.WithHeader("Accept", "application/vnd.x+json"), membrane.WithHeader("content-type", "application/vnd.y+json"),
		membrane.WithHeader("User-Agent", "mine/1"), membrane.WithHeader("Membrane-Api-Version", "2099-01-01"))
	require.NoError(t, err)
	h := s.Requests()[1].Header
	assert.Equal(t, []string{"application/vnd.x+json"}, h.Values("Accept"))
	assert.Equal(t, []string{"application/vnd.y+json"}, h.Values("Content-Type"))
	assert.Equal(t, []string{"mine/1"}, h.Values("User-Agent"))
	assert.Equal(t, []string{"2099-01-01"}, h.Values("Membrane-Api-Version"))
}

func TestResponseIsFilledOnFailureToo(t *testing.T) {
	t.Parallel()
	s := answer(http.StatusNotFound, map[string]any{"type": "bad_request", "key": "not_found", "message": "gone"})
	var resp membrane.Response
	_, err := newClient(t, s).OrgWorkspaces.Get(t.Context(), "w1", membrane.WithResponseInto(&resp))
	require.ErrorIs(t, err, membrane.ErrNotFound)
	assert.Equal(t, 404, resp.StatusCode)
	assert.Equal(t, "req-1", resp.RequestID)
	assert.Equal(t, 1, resp.Attempts)
}

// Wrong options are refused before any request, with an error that names them.
func TestBadCallOptionsAreRefusedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		call func(context.Context, *membrane.Client) error
		want string
	}{
		"key on a GET": {func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Get(ctx, "w1", membrane.WithIdempotencyKey("k"))
			return err
		}, "only POST, PATCH, PUT and DELETE do"},
		"empty key": {func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Restore(ctx, "w1", membrane.WithIdempotencyKey(" "))
			return err
		}, "the key is empty"},
		"key with a line break": {func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Restore(ctx, "w1", membrane.WithIdempotencyKey("a\r\nb"))
			return err
		}, "control character"},
		"authorization header": {func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Get(ctx, "w1", membrane.WithHeader("authorization", "Bearer x"))
			return err
		}, "Authorization is refused"},
		"attempt header": {func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Get(ctx, "w1", membrane.WithHeader("X-Membrane-Attempt", "9"))
			return err
		}, "X-Membrane-Attempt is refused"},
		"bad header name": {func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Get(ctx, "w1", membrane.WithHeader("a b", "x"))
			return err
		}, "not a valid header name"},
		"header value with a line break": {func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Get(ctx, "w1", membrane.WithHeader("X-A", "1\nX-B: 2"))
			return err
		}, "control character"},
		"nil response": {func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Get(ctx, "w1", membrane.WithResponseInto(nil))
			return err
		}, "Response is nil"},
		"nil option": {func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Get(ctx, "w1", nil)
			return err
		}, "call option 0 is nil"},
		"Do with a relative path": {func(ctx context.Context, c *membrane.Client) error {
			return c.Do(ctx, http.MethodGet, "org-workspaces", nil, nil)
		}, "does not start with /"},
		"Do to another host": {func(ctx context.Context, c *membrane.Client) error {
			return c.Do(ctx, http.MethodGet, "//evil.test/x", nil, nil)
		}, "another host"},
		"Do with a dot-dot segment": {func(ctx context.Context, c *membrane.Client) error {
			return c.Do(ctx, http.MethodGet, "/org-workspaces/../x", nil, nil)
		}, `".." segment`},
		"Do into a non-pointer": {func(ctx context.Context, c *membrane.Client) error {
			var out map[string]any
			return c.Do(ctx, http.MethodGet, "/org-workspaces", nil, out)
		}, "non-nil pointer"},
		"Do with a bad method": {func(ctx context.Context, c *membrane.Client) error {
			return c.Do(ctx, "GET /x", "/org-workspaces", nil, nil)
		}, "not an HTTP method"},
		"key on a method the package does not know": {func(ctx context.Context, c *membrane.Client) error {
			return c.Do(ctx, "LINK", "/org-workspaces/w1", nil, nil, membrane.WithIdempotencyKey("k"))
		}, "only POST, PATCH, PUT and DELETE do"},
	}
	for _, name := range []string{"Idempotency-Key", "content-length", "Transfer-Encoding", "Host", "Connection"} {
		cases["header "+name] = struct {
			call func(context.Context, *membrane.Client) error
			want string
		}{func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Get(ctx, "w1", membrane.WithHeader(name, "x"))
			return err
		}, "is refused"}
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := answer(http.StatusOK, workspaceJSON("w1"))
			err := tc.call(t.Context(), newClient(t, s))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var apiErr *membrane.Error
			assert.False(t, errors.As(err, &apiErr), "refused by the client itself")
			assert.Empty(t, s.Requests())
		})
	}
}

// Do sends what it is given with the client's headers, retries and errors; a POST gets a key,
// and the secrets of its body are sent whole.
func TestDoSendsWithTheClientsPlumbing(t *testing.T) {
	t.Parallel()
	s := failThen(1, http.StatusServiceUnavailable, "0", map[string]any{"ok": true})
	c := newClient(t, s)
	var out json.RawMessage
	body := map[string]any{"note": "x", "secret": membrane.Secret(secretValue)}
	err := c.Do(t.Context(), http.MethodPost, "/org-workspaces/w1/custom?dry=1", body, &out)
	require.NoError(t, err)
	assert.JSONEq(t, `{"ok":true}`, string(out))
	reqs := s.Requests()
	require.Len(t, reqs, 2)
	for i, r := range reqs {
		assert.Equal(t, "/org-workspaces/w1/custom", r.URL.Path)
		assert.Equal(t, "1", r.URL.Query().Get("dry"))
		assert.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"))
		assert.Equal(t, strconv.Itoa(i+1), r.Header.Get("X-Membrane-Attempt"))
		assert.NotEmpty(t, r.Header.Get("Idempotency-Key"))
		assert.JSONEq(t, `{"note":"x","secret":"`+secretValue+`"}`, string(r.Body), "the wire carries the secret")
	}
	assert.Equal(t, reqs[0].Header.Get("Idempotency-Key"), reqs[1].Header.Get("Idempotency-Key"))

	// In a slice, behind a pointer, in an Optional, in a request type of this package: sent
	// with its value, however deep.
	sec, creds := membrane.Secret(secretValue), membrane.Credentials(`{"k":"`+secretValue+`"}`)
	s = answer(http.StatusOK, map[string]any{"ok": true})
	deep := map[string]any{
		"list": []any{membrane.Secret(secretValue), &sec}, "creds": []membrane.Credentials{creds},
		"opt": membrane.Set(sec), "optCreds": membrane.Set[any](&creds),
		"customer": &membrane.CreateCustomerRequest{Name: "n", Credentials: creds},
	}
	require.NoError(t, newClient(t, s).Do(t.Context(), http.MethodPost, "/x", deep, nil))
	assert.JSONEq(t, `{"list":["`+secretValue+`","`+secretValue+`"],"creds":[{"k":"`+secretValue+`"}],`+
		`"opt":"`+secretValue+`","optCreds":{"k":"`+secretValue+`"},`+
		`"customer":{"name":"n","credentials":{"k":"`+secretValue+`"}}}`, string(s.Requests()[0].Body))

	s = answer(http.StatusConflict, map[string]any{"type": "bad_request", "key": "version_conflict", "message": "raced"})
	err = newClient(t, s).Do(t.Context(), http.MethodPatch, "/org-workspaces/w1", json.RawMessage(`{"name":"n"}`), nil)
	require.ErrorIs(t, err, membrane.ErrConflict)
	assert.Equal(t, `{"name":"n"}`, string(s.Requests()[0].Body))
}

// Request bodies carry the value of the credentials that json.Marshal writes redacted.
func TestRequestBodiesCarryTheCredentials(t *testing.T) {
	t.Parallel()
	creds := membrane.Credentials(`{"apiKey":"` + secretValue + `"}`)
	s := answer(http.StatusOK, map[string]any{"id": "c1", "name": "Acme"})
	wc, err := membrane.NewWorkspaceClient(membrane.WithBaseURL(testHubURL), membrane.WithToken(testToken),
		membrane.WithHTTPClient(s.HTTPClient()))
	require.NoError(t, err)
	_, err = wc.Customers.Create(t.Context(), &membrane.CreateCustomerRequest{Name: "Acme", Credentials: creds,
		Fields: map[string]any{"token": membrane.Secret("field-secret")}})
	require.NoError(t, err)
	_, err = wc.Customers.Update(t.Context(), "c1", &membrane.UpdateCustomerRequest{Credentials: membrane.Set[any](&creds),
		Fields: membrane.Set(map[string]any{"token": membrane.Secret("field-secret")})})
	require.NoError(t, err)
	_, err = wc.Customers.Replace(t.Context(), "c1", &membrane.ReplaceCustomerRequest{Name: "Acme", Credentials: creds,
		Fields: map[string]any{"token": membrane.Secret("field-secret")}})
	require.NoError(t, err)
	_, err = wc.Customers.Update(t.Context(), "c1", &membrane.UpdateCustomerRequest{Credentials: membrane.Null[any]()})
	require.NoError(t, err)
	reqs := s.Requests()
	require.Len(t, reqs, 4)
	assert.JSONEq(t, `{"name":"Acme","credentials":{"apiKey":"`+secretValue+`"},"fields":{"token":"field-secret"}}`, string(reqs[0].Body))
	assert.JSONEq(t, `{"credentials":{"apiKey":"`+secretValue+`"},"fields":{"token":"field-secret"}}`, string(reqs[1].Body))
	assert.JSONEq(t, `{"name":"Acme","credentials":{"apiKey":"`+secretValue+`"},"fields":{"token":"field-secret"}}`, string(reqs[2].Body))
	assert.JSONEq(t, `{"credentials":null}`, string(reqs[3].Body))
}
