//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// scenario is one kind of request sent over and over.
type scenario struct {
	name     string
	server   string // "bare" or "fake"
	baseline string // the bare scenario its figures are divided by
	what     string
	keyed    bool // each request carries an Idempotency-Key of its own, as the SDK sends
	request  func(t *targets) (method, url string, body []byte, header http.Header)
}

var scenarios = []scenario{
	{name: "bare-get", server: "bare", baseline: "bare-get", what: "GET /items/1",
		request: func(t *targets) (string, string, []byte, http.Header) {
			return http.MethodGet, t.bareURL + "/items/" + t.bareItem, nil, nil
		}},
	{name: "bare-create", server: "bare", baseline: "bare-create", what: "POST /items",
		request: func(t *targets) (string, string, []byte, http.Header) {
			return http.MethodPost, t.bareURL + "/items", []byte(`{"name":"Acme","orgId":"o1"}`), jsonHeader("")
		}},
	{name: "fake-get", server: "fake", baseline: "bare-get", what: "GET /org-workspaces/{id}",
		request: func(t *targets) (string, string, []byte, http.Header) {
			return http.MethodGet, t.fake.HubURL + "/org-workspaces/" + t.fakeWorkspace, nil, jsonHeader(t.fake.AdminToken)
		}},
	{name: "fake-create", server: "fake", baseline: "bare-create", what: "POST /org-workspaces, on the hub's instance",
		request: func(t *targets) (string, string, []byte, http.Header) {
			return http.MethodPost, t.fake.HubURL + "/org-workspaces",
				[]byte(`{"orgId":"` + t.fake.OrgID + `","name":"Acme"}`), jsonHeader(t.fake.AdminToken)
		}},
	{name: "fake-create-keyed", server: "fake", baseline: "bare-create", keyed: true,
		what: "POST /org-workspaces with an Idempotency-Key, on the hub's instance",
		request: func(t *targets) (string, string, []byte, http.Header) {
			return http.MethodPost, t.fake.HubURL + "/org-workspaces",
				[]byte(`{"orgId":"` + t.fake.OrgID + `","name":"Acme"}`), jsonHeader(t.fake.AdminToken)
		}},
	{name: "fake-create-eu", server: "fake", baseline: "bare-create", what: "POST /org-workspaces, routed to instance eu",
		request: func(t *targets) (string, string, []byte, http.Header) {
			return http.MethodPost, t.fake.HubURL + "/org-workspaces",
				[]byte(`{"orgId":"` + t.fake.OrgID + `","name":"Acme","membraneInstanceId":"eu"}`), jsonHeader(t.fake.AdminToken)
		}},
	{name: "fake-access-token", server: "fake", baseline: "bare-create", what: "POST /org-workspaces/{id}/access-token",
		request: func(t *targets) (string, string, []byte, http.Header) {
			return http.MethodPost, t.fake.HubURL + "/org-workspaces/" + t.fakeWorkspace + "/access-token",
				[]byte(`{"tenantKey":"t1"}`), jsonHeader(t.fake.AdminToken)
		}},
}

func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, sc := range scenarios {
		names[i] = sc.name
	}
	return names
}

func jsonHeader(token string) http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return h
}

// fakeLine is the line membrane-fake prints on start.
type fakeLine struct {
	HubURL     string `json:"hubUrl"`
	OrgID      string `json:"orgId"`
	AdminToken string `json:"adminToken"`
	Instances  []struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	} `json:"instances"`
}

// targets are the two servers under load and what the scenarios need of them.
type targets struct {
	bareURL, bareItem string
	fake              fakeLine
	fakeWorkspace     string
}

// seed makes what the scenarios read: an item on the bare server and a workspace on the fake.
func seed(ctx context.Context, client *http.Client, t *targets) error {
	var item struct{ ID string }
	if err := call(ctx, client, http.MethodPost, t.bareURL+"/items", []byte(`{"name":"Acme","orgId":"o1"}`), jsonHeader(""), &item); err != nil {
		return fmt.Errorf("seed bare: %w", err)
	}
	var ws struct{ ID string }
	if err := call(ctx, client, http.MethodPost, t.fake.HubURL+"/org-workspaces",
		[]byte(`{"orgId":"`+t.fake.OrgID+`","name":"Acme"}`), jsonHeader(t.fake.AdminToken), &ws); err != nil {
		return fmt.Errorf("seed fake: %w", err)
	}
	t.bareItem, t.fakeWorkspace = item.ID, ws.ID
	return nil
}

// call sends one request and decodes its 200 answer into out.
func call(ctx context.Context, client *http.Client, method, url string, body []byte, header http.Header, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, b)
	}
	return json.Unmarshal(b, out)
}

// load runs one scenario: st.conns workers send requests for st.warmup unmeasured, then for
// st.duration measured, while the server's CPU time is read before and after.
func load(ctx context.Context, client *http.Client, t *targets, sc scenario, pid int, st settings) (scenarioResult, error) {
	method, url, body, header := sc.request(t)
	res := scenarioResult{Name: sc.name, What: sc.what, Baseline: sc.baseline}
	keys := func(phase string) string {
		if !sc.keyed {
			return ""
		}
		return fmt.Sprintf("lt-%d-%s-", time.Now().UnixNano(), phase)
	}
	if st.warmup > 0 {
		if _, err := hammer(ctx, client, method, url, body, header, keys("warmup"), st.conns, st.warmup); err != nil {
			return res, err
		}
	}
	before, err := cpuTime(pid)
	if err != nil {
		return res, err
	}
	start := time.Now()
	out, err := hammer(ctx, client, method, url, body, header, keys("run"), st.conns, st.duration)
	if err != nil {
		return res, err
	}
	elapsed := time.Since(start)
	after, err := cpuTime(pid)
	if err != nil {
		return res, err
	}
	res.Requests, res.Errors, res.FirstError = out.ok, out.errors, out.firstError
	if res.Requests == 0 {
		return res, fmt.Errorf("no request succeeded: %s", out.firstError)
	}
	res.PerSecond = float64(res.Requests) / elapsed.Seconds()
	res.CPUMicros = float64(after-before) / float64(time.Microsecond) / float64(res.Requests+res.Errors)
	slices.Sort(out.latencies)
	res.P50Micros = micros(out.latencies[len(out.latencies)/2])
	res.P99Micros = micros(out.latencies[len(out.latencies)*99/100])
	return res, nil
}

type hammerResult struct {
	ok, errors int64
	sent       int64 // requests sent, to number the keys
	firstError string
	latencies  []time.Duration
}

// hammer sends the same request from conns workers until d has passed. Requests cut short by
// the end of d are not counted. With a keyPrefix, each request carries an Idempotency-Key of
// its own that starts with it.
func hammer(ctx context.Context, client *http.Client, method, url string, body []byte, header http.Header, keyPrefix string, conns int, d time.Duration) (hammerResult, error) {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	results := make([]hammerResult, conns)
	var wg sync.WaitGroup
	for w := range conns {
		wg.Go(func() {
			r := &results[w]
			r.latencies = make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
				if err != nil {
					r.errors++
					r.firstError = err.Error()
					return
				}
				req.Header = header.Clone()
				if keyPrefix != "" {
					r.sent++
					req.Header["Idempotency-Key"] = []string{keyPrefix + strconv.Itoa(w) + "-" + strconv.FormatInt(r.sent, 10)}
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
				}
				lat := time.Since(t0)
				switch {
				case ctx.Err() != nil:
					return // cut short by the deadline
				case err != nil:
					r.errors++
					if r.firstError == "" {
						r.firstError = err.Error()
					}
				case resp.StatusCode != http.StatusOK:
					r.errors++
					if r.firstError == "" {
						r.firstError = method + " " + url + ": " + resp.Status
					}
				default:
					r.ok++
					r.latencies = append(r.latencies, lat)
				}
			}
		})
	}
	wg.Wait()
	if err := parent.Err(); err != nil {
		return hammerResult{}, err
	}
	var all hammerResult
	for _, r := range results {
		all.ok += r.ok
		all.errors += r.errors
		if all.firstError == "" {
			all.firstError = r.firstError
		}
		all.latencies = append(all.latencies, r.latencies...)
	}
	return all, nil
}
