package fake

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A state larger than one engine request is sent in parts that each fit, and together hold
// every field once; the secret travels with its grace.
func TestRepairPartsFitTheBudget(t *testing.T) {
	t.Parallel()
	w := &orgWorkspace{key: "k", secret: "s-new", prevSecret: "s-old", prevUntil: time.Unix(100, 0), cfg: newConfig()}
	w.cfg.UserFieldsSchema = json.RawMessage(`{"v":"` + strings.Repeat("<", 600) + `"}`)
	w.cfg.AlertDeliverySettings = json.RawMessage(`{"v":"` + strings.Repeat("&", 600) + `"}`)
	const budget = 1000
	parts, err := repairParts(w, budget)
	require.NoError(t, err)
	require.Len(t, parts, 2)
	seen := map[string]int{}
	for _, p := range parts {
		b, err := encodeJSON(p)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(b), budget)
		for k := range p {
			seen[k]++
		}
	}
	for _, k := range append(configFields[:], "secret", "previousSecret", "previousSecretUntil", "archivedAt") {
		assert.Equal(t, 1, seen[k], k)
	}
	for _, p := range parts {
		if _, ok := p["secret"]; ok {
			assert.JSONEq(t, `"s-old"`, string(p["previousSecret"]))
		}
	}
}
