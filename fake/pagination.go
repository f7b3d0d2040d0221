package fake

import (
	"sort"
	"strconv"
)

const (
	defaultPageLimit = 100
	maxPageLimit     = 1000
)

// pageQuery is the limit and cursor of a list request.
type pageQuery struct {
	limit int
	after uint64
}

// readPage reads limit and cursor from the query, recording problems in f.
func readPage(f *form, limit, cursor string) pageQuery {
	q := pageQuery{limit: defaultPageLimit}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > maxPageLimit {
			f.fail("limit", "must be a whole number from 1 to 1000")
		} else {
			q.limit = n
		}
	}
	if cursor != "" {
		n, err := strconv.ParseUint(cursor, 10, 64)
		if err != nil {
			f.fail("cursor", "must be a cursor returned by an earlier page")
		} else {
			q.after = n
		}
	}
	return q
}

// seqItem is an entry in creation order: seq only grows, so a list is sorted by it.
type seqItem interface{ sequence() uint64 }

// page returns up to q.limit items of list (sorted by sequence) after q.after that match, and the
// cursor of the next page: the sequence of the last item returned, or "" when no further item
// matches. The scan starts by binary search, so a page costs the items it reads, not the list.
func page[T seqItem](list []T, q pageQuery, match func(T) bool) (items []T, cursor string) {
	i := sort.Search(len(list), func(i int) bool { return list[i].sequence() > q.after })
	items = make([]T, 0, min(q.limit, len(list)-i))
	for ; i < len(list); i++ {
		if !match(list[i]) {
			continue
		}
		if len(items) == q.limit {
			return items, strconv.FormatUint(items[len(items)-1].sequence(), 10)
		}
		items = append(items, list[i])
	}
	return items, ""
}

func readBoolQuery(f *form, v, name string) bool {
	switch v {
	case "", "false", "0":
		return false
	case "true", "1":
		return true
	}
	f.fail(name, "must be true or false")
	return false
}
