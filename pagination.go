package membrane

import (
	"errors"
	"fmt"
	"iter"
)

// paginate walks the pages that list returns, starting at cursor start, and yields their items.
// It stops after the last page (empty cursor), when the consumer stops, or at the first error,
// which it yields once. A server that hands back a cursor it gave before would loop forever
// (1 -> 2 -> 1), so any cursor seen before, the starting one included, is an error too.
func paginate[T any](start string, list func(cursor string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		cursor := start
		seen := map[string]bool{start: true}
		for page := 1; ; page++ {
			items, next, err := list(cursor)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, item := range items {
				if !yield(item, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			if seen[next] {
				yield(zero, fmt.Errorf("membrane: pagination: page %d gave cursor %q, which an earlier page gave: "+
					"the list would never end", page, next))
				return
			}
			seen[next] = true
			cursor = next
		}
	}
}

// answerChecker is an answer that can tell whether it is what the API promises.
type answerChecker interface {
	checkAnswer() error
}

// checkItems reports a page without items (null, or {} without "items"), or with an item that
// is not what the API promises.
func checkItems[T any, P interface {
	*T
	answerChecker
}](items []P) error {
	if items == nil {
		return errors.New(`it holds no "items"`)
	}
	for i, it := range items {
		if it == nil {
			return fmt.Errorf("item %d is null", i)
		}
		if err := it.checkAnswer(); err != nil {
			return fmt.Errorf("item %d: %w", i, err)
		}
	}
	return nil
}
