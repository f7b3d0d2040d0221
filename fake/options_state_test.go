package fake_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The change hook hears of every request answered and of every change of the whole state.
func TestChangeHook(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv, c := newFake(t, fake.WithChangeHook(func() { calls.Add(1) }))
	ctx := context.Background()
	steps := []struct {
		name string
		do   func()
	}{
		{"a request", func() { c.createWorkspace("W") }},
		{"an org over the admin API", func() { c.ok("POST", "/_fake/orgs", `{"name": "O"}`) }},
		{"Load", func() { require.NoError(t, srv.Load(ctx, fake.Seed{Orgs: []fake.SeedOrg{{Name: "L"}}})) }},
		{"Replace", func() { require.NoError(t, srv.Replace(ctx, fake.Seed{})) }},
		{"Reset", func() { require.NoError(t, srv.Reset(ctx)) }},
		{"ResetOrg", func() { require.NoError(t, srv.ResetOrg(ctx, srv.OrgID())) }},
	}
	for _, s := range steps {
		before := calls.Load()
		s.do()
		assert.Greater(t, calls.Load(), before, s.name)
	}
	_, err := fake.New(fake.WithChangeHook(nil))
	require.Error(t, err)
}
