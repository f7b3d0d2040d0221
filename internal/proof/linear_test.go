package proof

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/anishathalye/porcupine"
	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
	"github.com/membrane-community/membrane-go/internal/model"
)

var (
	histories = flag.Int("proof.histories", 4, "concurrent histories TestLinearizable records and checks")
	opsPer    = flag.Int("proof.ops", 30, "operations per goroutine in each history of TestLinearizable")
	// Without it, the instances lose no answers in TestLinearizable: a change an instance made
	// whose answer was lost is seen at the instance's URL until the hub sets it back, and a
	// failed call then looks as if it happened and was undone.
	lostAnswers = flag.Bool("proof.lost-instance-answers", false, "TestLinearizable lets instances lose answers too (a known disagreement)")
)

// linWorkers is the number of goroutines that share the workspaces.
const linWorkers = 4

// TestLinearizable runs goroutines that operate concurrently on three shared workspaces (one per
// instance), reading them at the hub too, under random faults, instances stopped and started among them, and checks that each
// history is linearizable against the model. A history that is not is written out as
// porcupine's visualization, in $MEMBRANE_PROOF_OUT or the system's temporary directory, and its
// path is printed.
func TestLinearizable(t *testing.T) {
	t.Parallel()
	checkHistories(t, *histories)
}

// checkHistories records n histories and checks each.
func checkHistories(t *testing.T, n int) {
	ops := 0
	for h := range n {
		var history []porcupine.Operation
		synctest.Test(t, func(t *testing.T) { history = record(t, uint64(h)+1) })
		ops += len(history)
		res, info := porcupine.CheckOperationsVerbose(linModel(3), history, time.Minute)
		switch res {
		case porcupine.Illegal:
			dir := os.Getenv("MEMBRANE_PROOF_OUT")
			if dir == "" {
				dir = os.TempDir()
			}
			path := filepath.Join(dir, fmt.Sprintf("%s-%d.html", strings.ReplaceAll(t.Name(), "/", "_"), h))
			if err := porcupine.VisualizePath(linModel(3), info, path); err != nil {
				t.Errorf("write the visualization: %v", err)
			}
			text := strings.TrimSuffix(path, ".html") + ".txt"
			if err := os.WriteFile(text, []byte(listing(history)), 0o644); err != nil {
				t.Errorf("write the listing: %v", err)
			}
			t.Fatalf("history %d (%d operations) is not linearizable: see %s, and %s for its workspaces' calls in order",
				h, len(history), path, text)
		case porcupine.Unknown:
			t.Logf("history %d (%d operations): the checker ran out of time; not proved", h, len(history))
		}
	}
	t.Logf("%d histories, %d operations: linearizable", n, ops)
}

// record runs one concurrent history and returns it.
func record(t *testing.T, seed uint64) []porcupine.Operation {
	w := newWorld(t, false, seed, 0) // the model of the history has no grace period
	defer w.close()
	admin := w.callers[0]
	cx := context.Background()
	var init []linState
	var ids, keys []string
	for i, at := range []string{"hub", "eu", "us"} {
		ws, err := sdkCreate(cx, admin.client, model.CreateRequest{OrgID: w.orgA, Name: fmt.Sprintf("ws%d", i), InstanceID: at}, "")
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		ids, keys = append(ids, ws.ID), append(keys, ws.Key)
		init = append(init, linState{name: ws.Name, secret: ws.Secret.Reveal()})
	}
	faults := []fake.Fault{
		{Instance: "hub", Status: 500, Probability: 0.04},
		{Instance: "hub", Status: 429, Probability: 0.03},
		{Instance: "hub", Reset: true, Probability: 0.03},
		// Lost answers at the hub's URL, but not of the engine calls to the hub's own instance.
		{Instance: "hub", Path: "/org-workspaces/*", DropAnswer: true, Probability: 0.05},
		{Instance: "hub", Path: "/org-workspaces/*/*", DropAnswer: true, Probability: 0.05},
		{Instance: "hub", Path: "/customers", DropAnswer: true, Probability: 0.05},
		{Instance: "eu", Status: 502, Probability: 0.05},
		{Instance: "eu", Reset: true, Probability: 0.03},
		{Instance: "us", Reset: true, Probability: 0.05},
		{Instance: "us", Status: 503, Probability: 0.03},
	}
	if *lostAnswers {
		faults = append(faults, fake.Fault{Instance: "eu", DropAnswer: true, Probability: 0.05},
			fake.Fault{Instance: "us", DropAnswer: true, Probability: 0.05},
			fake.Fault{Instance: "hub", Path: "/workspaces/*", DropAnswer: true, Probability: 0.05})
	}
	for _, f := range faults {
		if _, err := w.srv.Faults().Add(f); err != nil {
			t.Fatalf("add fault: %v", err)
		}
	}
	var (
		clock   atomic.Int64
		mu      sync.Mutex
		history []porcupine.Operation
		downMu  sync.Mutex
		wg      sync.WaitGroup
	)
	for g := range linWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(seed, uint64(g)))
			seen := make([]string, len(init)) // the last secret this goroutine saw of each workspace
			for i, s := range init {
				seen[i] = s.secret
			}
			for n := range *opsPer {
				if rnd.IntN(25) == 0 { // stop or start an instance: not an operation of the history
					id := instanceIDs[rnd.IntN(len(instanceIDs))]
					downMu.Lock()
					if in := w.srv.Instance(id); rnd.IntN(2) == 0 {
						in.Stop()
					} else if err := in.Start(); err != nil {
						t.Errorf("start %s: %v", id, err)
					}
					downMu.Unlock()
				}
				i := rnd.IntN(len(ids))
				ops := []string{"update", "update", "archive", "restore", "rotate", "token", "token",
					"create customer", "create customer", "list customers", "list customers", "get", "get"}
				in := linInput{ws: i, init: init[i], secret: seen[i], op: pick(rnd, ops...)}
				switch in.op {
				case "update":
					in.value = fmt.Sprintf("v%d-%d", g, n)
				case "create customer":
					in.value = pick(rnd, "c1", "c2", "c3", "c4")
				}
				call := clock.Add(1)
				out := linCall(w, admin.client, ids[i], keys[i], w.baseURL(pick(rnd, "hub", hostOf(i))), in)
				ret := clock.Add(1)
				if out.secret != "" {
					seen[i] = out.secret
				}
				mu.Lock()
				history = append(history, porcupine.Operation{ClientId: g, Input: in, Output: out, Call: call, Return: ret})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	// Once the faults stop, the hub and the instances agree: every workspace's instance accepts
	// the secret the hub reports.
	for _, id := range instanceIDs {
		if err := w.srv.Instance(id).Start(); err != nil {
			t.Fatalf("start %s: %v", id, err)
		}
	}
	w.heal(t)
	for i, id := range ids {
		ws, err := admin.client.OrgWorkspaces.Get(cx, id)
		if err != nil {
			t.Fatalf("get after the faults: %v", err)
		}
		if ws.ArchivedAt != nil {
			continue
		}
		raw, _ := mint(model.Token{WorkspaceKey: ws.Key, Secret: ws.Secret.Reveal(), Expires: w.m.Now.Add(time.Hour)}, w.m.Now, false)
		if _, err := sdkCustomers(cx, w.workspaceClient(t, hostOf(i), raw), "", true, 0); err != nil {
			t.Fatalf("workspace %d: its instance refuses the secret the hub reports, after the faults: %v", i, err)
		}
	}
	return history
}

// hostOf is the instance of shared workspace i.
func hostOf(i int) string { return []string{"hub", "eu", "us"}[i] }

func pick(rnd *rand.Rand, options ...string) string { return options[rnd.IntN(len(options))] }

// linCall makes one call of the history through the SDK.
func linCall(w *world, c *membrane.Client, id, key, base string, in linInput) linOutput {
	cx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	view := func(ws *membrane.OrgWorkspace, err error) linOutput {
		o := linOutput{kind: outcome(err)}
		if err == nil {
			o.name, o.webhook, o.archived, o.secret = ws.Name, ws.WebhookURI, ws.ArchivedAt != nil, ws.Secret.Reveal()
		}
		return o
	}
	switch in.op {
	case "get":
		return view(c.OrgWorkspaces.Get(cx, id))
	case "update":
		hook := webhookOf(in.value)
		return view(sdkUpdate(cx, c, id, model.Patch{Name: &in.value, WebhookURI: &hook}))
	case "archive":
		return view(c.OrgWorkspaces.Archive(cx, id))
	case "restore":
		return view(c.OrgWorkspaces.Restore(cx, id))
	case "rotate":
		s, err := c.OrgWorkspaces.RotateSecret(cx, id)
		return linOutput{kind: outcome(err), secret: s.Reveal()}
	case "token":
		tok, err := c.OrgWorkspaces.AccessToken(cx, id, nil)
		return linOutput{kind: outcome(err), token: tok}
	}
	now := w.clk.Now()
	raw, err := mint(model.Token{WorkspaceKey: key, Secret: in.secret, Expires: now.Add(time.Hour)}, now, false)
	if err != nil {
		return linOutput{kind: model.Kind("mint: " + err.Error())}
	}
	wc, err := membrane.NewWorkspaceClient(membrane.WithBaseURL(base), membrane.WithToken(raw),
		membrane.WithHTTPClient(w.hc), membrane.WithRetryPolicy(w.policy))
	if err != nil {
		return linOutput{kind: model.Kind("client: " + err.Error())}
	}
	if in.op == "create customer" {
		cu, err := sdkCreateCustomer(cx, wc, in.value, in.value, nil, "")
		o := linOutput{kind: outcome(err)}
		if err == nil {
			o.id = cu.ID
		}
		return o
	}
	list, err := sdkCustomers(cx, wc, "", true, 0)
	o := linOutput{kind: outcome(err)}
	m := map[string]string{}
	for _, cu := range list {
		m[cu.InternalID] = cu.ID
	}
	o.customers = customersString(m)
	return o
}

// webhookOf is the webhook URI an update with value sets.
func webhookOf(value string) string { return "https://hooks.example/" + value }

// outcome is what a call's answer tells of the operation. An error whose outcome is unknown
// (Error.MaybeApplied: an earlier attempt's answer was lost, say a customer created by the
// first attempt, its retry refused 401 because the secret was rotated in between) counts as
// failed: happened once or not at all.
func outcome(err error) model.Kind {
	if maybeApplied(err) {
		return failed
	}
	return definite(kindOf(err))
}

// listing writes the calls of each workspace whose history is not linearizable, in the order
// they began, with their start and end.
func listing(history []porcupine.Operation) string {
	m := linModel(3)
	var b strings.Builder
	for i, part := range m.Partition(history) {
		if porcupine.CheckOperations(m, part) {
			continue
		}
		fmt.Fprintf(&b, "workspace %d: not linearizable\n", i)
		slices.SortFunc(part, func(a, b porcupine.Operation) int { return int(a.Call - b.Call) })
		for _, op := range part {
			fmt.Fprintf(&b, "[%d,%d] goroutine %d: %s\n", op.Call, op.Return, op.ClientId, m.DescribeOperation(op.Input, op.Output))
		}
	}
	return b.String()
}
