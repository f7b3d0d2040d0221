package fake

import "errors"

// WithChangeHook makes the server (or NewInstance's instance) call fn after each request it
// serves, and after each Load, Replace, Reset and org added over the admin API: each time
// its state may have changed. fn must return quickly; a persister marks the state dirty and
// saves it later (the binary's --state-file does so).
func WithChangeHook(fn func()) Option {
	return func(c *config) error {
		if fn == nil {
			return errors.New("fake: WithChangeHook: nil func")
		}
		c.onChange = fn
		return nil
	}
}
