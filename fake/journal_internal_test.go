package fake

import "testing"

// Filters and since work the same once the journal has wrapped around and dropped its oldest.
func TestJournalFindAfterWrapping(t *testing.T) {
	t.Parallel()
	j := &journal{}
	for i := range journalSize + 57 {
		method := "GET"
		if i%10 == 0 {
			method = "POST"
		}
		j.add(JournalEntry{Method: method})
	}
	all, last, _ := j.find(JournalFilter{})
	if len(all) != journalSize || last != journalSize+57 || all[0].Seq != 58 || all[len(all)-1].Seq != last {
		t.Fatalf("kept %d entries, seq %d..%d, last %d", len(all), all[0].Seq, all[len(all)-1].Seq, last)
	}
	for _, since := range []uint64{0, 57, 58, 5000, last - 1, last, last + 10} {
		got, _, _ := j.find(JournalFilter{Method: "POST", Since: since})
		want := 0
		for _, e := range all {
			if e.Seq > since && e.Method == "POST" {
				want++
			}
		}
		if len(got) != want {
			t.Errorf("since %d: %d entries, want %d", since, len(got), want)
		}
		for _, e := range got {
			if e.Seq <= since || e.Method != "POST" {
				t.Errorf("since %d: entry %d (%s) does not match", since, e.Seq, e.Method)
			}
		}
	}
	j.reset()
	if got, last, _ := j.find(JournalFilter{}); len(got) != 0 || last != journalSize+57 {
		t.Fatalf("after reset: %d entries, last %d", len(got), last)
	}
	j.add(JournalEntry{})
	if got, _, _ := j.find(JournalFilter{Since: journalSize + 57}); len(got) != 1 || got[0].Seq != journalSize+58 {
		t.Fatalf("after reset, the next entry: %+v", got)
	}
}
