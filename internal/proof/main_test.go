package proof

import (
	"flag"
	"os"
	"testing"
)

// TestMain gives rapid a longer time to shrink a failure than its default of 30 seconds, when
// -rapid.shrinktime is not given: in a synctest bubble the clock moves by the client's waits
// between retries, so 30 seconds there is only a few sequences.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.shrinktime" })
	if !set {
		_ = flag.Set("rapid.shrinktime", "24h")
	}
	os.Exit(m.Run())
}
