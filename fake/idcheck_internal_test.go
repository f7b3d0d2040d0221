package fake

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckInstanceID(t *testing.T) {
	t.Parallel()
	for id, ok := range map[string]bool{
		"eu": true, "us-east-1": true, "0": true, "a-": true, strings.Repeat("a", 63): true,
		"": false, "-eu": false, "EU": false, "eu_1": false, "eu.1": false, "eu 1": false, "é": false,
		"eu\n": false, strings.Repeat("a", 64): false,
	} {
		assert.Equal(t, ok, checkInstanceID(id) == nil, "%q", id)
	}
}

func TestValidSeedID(t *testing.T) {
	t.Parallel()
	for id, ok := range map[string]bool{
		"acme": true, "Acme_1-b": true, "-": true, "_": true, strings.Repeat("Z", 64): true,
		"": false, "a b": false, "a.b": false, "a/b": false, "é": false, "a\x00": false,
		strings.Repeat("Z", 65): false,
	} {
		assert.Equal(t, ok, validSeedID(id), "%q", id)
	}
}
