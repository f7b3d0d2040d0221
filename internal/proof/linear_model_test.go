package proof

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/anishathalye/porcupine"
	"github.com/membrane-community/membrane-go/internal/model"
)

// The model of one shared workspace for the linearizability check: what a client can see of
// it, as a comparable value. It is the reference model of internal/model cut down to the
// operations the concurrent test makes, with the server's made-up values (a new secret, a new
// customer's id) taken from the answers: an operation that failed without a definite answer
// may have happened once or not at all, and the value it would have made is then unknown ("")
// until an answer shows it.
type linState struct {
	name, webhook string
	archived      bool
	secret        string // "" while unknown
	customers     string // internalId=id pairs, sorted, joined by ";" (id "" while unknown)
}

// linInput is an operation on workspace ws. value is the name and webhook an update sets, the
// internalId a customer create uses; secret is the secret the caller signs workspace tokens
// with (the last it saw).
type linInput struct {
	op     string
	ws     int
	value  string
	secret string
	init   linState // the workspace's state before the history: where its partition starts
}

// linOutput is what the call answered.
type linOutput struct {
	kind          model.Kind // failed: no definite answer
	name, webhook string
	archived      bool
	secret        string
	token         string
	id            string
	customers     string
}

// failed is the outcome of a call that got no definite answer: the faults outlasted its
// retries (a 502, a 5xx, a 429, or no answer at all).
const failed model.Kind = "failed"

// definite reduces an outcome to what the model predicts: an answer the client can act on, or
// failed.
func definite(k model.Kind) model.Kind {
	switch k {
	case model.OK, model.BadRequest, model.AlreadyExists, model.NotAuthenticated, model.AccessDenied, model.NotFound:
		return k
	}
	return failed
}

func customersOf(s string) map[string]string {
	m := map[string]string{}
	for _, pair := range strings.Split(s, ";") {
		if k, v, ok := strings.Cut(pair, "="); ok {
			m[k] = v
		}
	}
	return m
}

func customersString(m map[string]string) string {
	var pairs []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		pairs = append(pairs, k+"="+m[k])
	}
	return strings.Join(pairs, ";")
}

// bindSecret checks an observed secret against the state's, learning it if unknown.
func bindSecret(s linState, seen string) (linState, bool) {
	if s.secret == "" {
		s.secret = seen
		return s, seen != ""
	}
	return s, s.secret == seen
}

// sameView checks a workspace answer against the state, learning the secret if unknown.
func sameView(s linState, o linOutput) (linState, bool) {
	if o.name != s.name || o.webhook != s.webhook || o.archived != s.archived {
		return s, false
	}
	return bindSecret(s, o.secret)
}

// authorized says whether a workspace token signed with secret is accepted, and learns the
// secret from an acceptance.
func authorized(s linState, secret string, k model.Kind) (linState, bool) {
	switch k {
	case model.NotAuthenticated:
		return s, s.archived || s.secret != secret // an unknown secret is a new one, which no caller holds yet
	case model.OK, model.AlreadyExists:
		if s.archived {
			return s, false
		}
		return bindSecret(s, secret)
	}
	return s, false
}

// linStep is the sequential specification: the states the workspace may be in after in
// answered out.
func linStep(state, input, output any) []any {
	s, in, o := state.(linState), input.(linInput), output.(linOutput)
	if s == (linState{}) {
		s = in.init
	}
	none := []any{}
	if o.kind == failed {
		// Happened once or not at all.
		out := []any{s}
		switch in.op {
		case "update":
			if !s.archived {
				n := s
				n.name, n.webhook = in.value, webhookOf(in.value)
				out = append(out, n)
			}
		case "archive", "restore":
			n := s
			n.archived = in.op == "archive"
			out = append(out, n)
		case "rotate":
			n := s
			n.secret = ""
			out = append(out, n)
		case "create customer":
			c := customersOf(s.customers)
			if _, ok := c[in.value]; !ok && !s.archived && (s.secret == "" || s.secret == in.secret) {
				c[in.value] = ""
				n := s
				n.customers = customersString(c)
				out = append(out, n)
			}
		}
		return out
	}
	switch in.op {
	case "get":
		if n, ok := sameView(s, o); ok && o.kind == model.OK {
			return []any{n}
		}
	case "update":
		if s.archived {
			if o.kind == model.BadRequest {
				return []any{s}
			}
			return none
		}
		n := s
		n.name, n.webhook = in.value, webhookOf(in.value)
		if n, ok := sameView(n, o); ok && o.kind == model.OK {
			return []any{n}
		}
	case "archive", "restore":
		n := s
		n.archived = in.op == "archive"
		if n, ok := sameView(n, o); ok && o.kind == model.OK {
			return []any{n}
		}
	case "rotate":
		if o.kind == model.OK && o.secret != "" && o.secret != s.secret {
			n := s
			n.secret = o.secret
			return []any{n}
		}
	case "token":
		if s.archived {
			if o.kind == model.BadRequest {
				return []any{s}
			}
			return none
		}
		if o.kind != model.OK {
			return none
		}
		if s.secret == "" { // the token tells the secret only to who holds it: try no guess
			return []any{s}
		}
		if verifiesHS256(o.token, s.secret) {
			return []any{s}
		}
	case "create customer":
		n, ok := authorized(s, in.secret, o.kind)
		if !ok {
			return none
		}
		c := customersOf(n.customers)
		_, exists := c[in.value]
		switch {
		case o.kind == model.NotAuthenticated:
			return []any{n}
		case o.kind == model.AlreadyExists && exists:
			return []any{n}
		case o.kind == model.OK && !exists && o.id != "":
			c[in.value] = o.id
			n.customers = customersString(c)
			return []any{n}
		}
	case "list customers":
		n, ok := authorized(s, in.secret, o.kind)
		if !ok {
			return none
		}
		if o.kind == model.NotAuthenticated {
			return []any{n}
		}
		want, got := customersOf(n.customers), customersOf(o.customers)
		if len(want) != len(got) {
			return none
		}
		for k, v := range want {
			g, ok := got[k]
			if !ok || (v != "" && v != g) {
				return none
			}
			want[k] = g
		}
		n.customers = customersString(want)
		return []any{n}
	}
	return none
}

// verifiesHS256 reports whether token is an HS256 JWT signed with secret.
func verifiesHS256(token, secret string) bool {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(token[:i]))
	return hmac.Equal(sig, mac.Sum(nil))
}

// linModel is the porcupine model: one partition per workspace.
func linModel(workspaces int) porcupine.Model {
	nm := porcupine.NondeterministicModel{
		Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
			parts := make([][]porcupine.Operation, workspaces)
			for _, op := range history {
				i := op.Input.(linInput).ws
				parts[i] = append(parts[i], op)
			}
			return parts
		},
		Init: func() []any { return []any{linState{}} }, // replaced by the first input's init
		Step: linStep,
		DescribeOperation: func(input, output any) string {
			in, o := input.(linInput), output.(linOutput)
			arg := in.value
			if in.op == "create customer" || in.op == "list customers" {
				arg += " signed " + short(in.secret)
			}
			res := string(o.kind)
			if o.kind == model.OK {
				switch in.op {
				case "rotate":
					res = "secret " + short(o.secret)
				case "create customer":
					res = "id " + o.id
				case "list customers":
					res = "[" + o.customers + "]"
				case "get", "update", "archive", "restore":
					res = fmt.Sprintf("%s archived=%v secret %s", o.name, o.archived, short(o.secret))
				}
			}
			return fmt.Sprintf("ws%d %s(%s) → %s", in.ws, in.op, arg, res)
		},
		DescribeState: func(state any) string {
			s := state.(linState)
			return fmt.Sprintf("%s archived=%v secret %s customers [%s]", s.name, s.archived, short(s.secret), s.customers)
		},
	}
	return nm.ToModel()
}

// short names a secret by a few of its characters, enough to tell secrets apart in a picture.
func short(secret string) string {
	if len(secret) < 6 {
		return "?"
	}
	return secret[:6] + "…"
}
