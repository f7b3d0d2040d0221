// Command membrane-fake serves the fake Membrane API on loopback, for tests in any language and
// for trying the API by hand.
//
//	membrane-fake [flags]                      hub and instances in one process
//	membrane-fake instance --id eu [flags]     one instance alone
//	membrane-fake hub --instance eu=URL [flags] a hub that routes to instances in other processes
//
// On start it prints one JSON line to stdout saying where it listens (and, for a hub, the
// default org and an admin token); then it logs requests to stderr. SIGINT and SIGTERM shut it
// down gracefully. Run with -h for the flags; each has an environment variable of the same
// meaning.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
