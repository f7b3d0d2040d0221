package fake

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Past its caps the store forgets its oldest answers first, and a repeat of a forgotten key
// runs again.
func TestIdempotencyStoreIsCapped(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		limits idemLimits
		size   int
		kept   int
	}{
		{"answers", idemLimits{responses: 3, bytes: 1 << 20}, 10, 3},
		{"bytes", idemLimits{responses: 100, bytes: 25}, 10, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newIdempotency(time.Now)
			s.limits = tc.limits
			ctx := context.Background()
			for i := range 10 {
				_, e, err := s.begin(ctx, "c", strconv.Itoa(i), [32]byte{})
				require.Nil(t, err)
				s.finish(e, 200, i, nil, tc.size)
			}
			assert.Len(t, s.entries, tc.kept)
			assert.Len(t, s.fifo, tc.kept)
			assert.Equal(t, tc.kept*tc.size, s.bytes)
			replay, _, err := s.begin(ctx, "c", "9", [32]byte{})
			require.Nil(t, err)
			require.NotNil(t, replay, "the newest answer is kept")
			assert.Equal(t, 9, replay.value)
			replay, claimed, err := s.begin(ctx, "c", "0", [32]byte{})
			require.Nil(t, err)
			assert.Nil(t, replay, "the oldest answer is forgotten")
			assert.NotNil(t, claimed, "and its key runs again")
		})
	}
}
