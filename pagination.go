package membrane

import (
	"fmt"
	"iter"
)

// paginate walks the pages that list returns, starting at cursor start, and yields their items.
// It stops after the last page (empty cursor), when the consumer stops, or at the first error,
// which it yields once. A server that hands back the cursor it was given would loop forever,
// so that is an error too.
func paginate[T any](start string, list func(cursor string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		cursor := start
		for {
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
			if next == cursor {
				yield(zero, fmt.Errorf("membrane: pagination: the server returned cursor %q again", next))
				return
			}
			cursor = next
		}
	}
}
