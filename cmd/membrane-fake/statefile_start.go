package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/membrane-community/membrane-go/fake"
)

// openStateFile reads the state file of the settings, if one is named. saved is its content,
// nil when the file does not exist yet; a file that cannot be read is an error, and is left as
// it is.
func openStateFile(st settings, logger *slog.Logger, h hooks) (sf *stateFile, saved []byte, err error) {
	if st.stateFile == "" {
		return nil, nil, nil
	}
	sf = newStateFile(st.stateFile, logger, h)
	saved, err = sf.read()
	return sf, saved, err
}

// options are the options that tell sf about changes; none without a state file.
func (sf *stateFile) options() []fake.Option {
	if sf == nil {
		return nil
	}
	return []fake.Option{fake.WithChangeHook(sf.changed)}
}

// loadHubState puts the hub's state in place: the state file's when there is one (the seed is
// then only remembered, for Reset), else the seed.
func loadHubState(ctx context.Context, srv *fake.Server, seed fake.Seed, seedPath string, sf *stateFile, saved []byte) error {
	if sf == nil || saved == nil {
		if err := srv.Load(ctx, seed); err != nil {
			return &badValue{fmt.Errorf("--seed %s: %w", seedPath, err)}
		}
	} else {
		state, err := fake.ParseSeed(saved)
		if err != nil {
			return fmt.Errorf("--state-file %s: %w (this is no hub state file; it is left as it is)", sf.path, err)
		}
		if err := srv.Restore(ctx, state); err != nil {
			return fmt.Errorf("--state-file %s: %w (the file is left as it is)", sf.path, err)
		}
		if err := srv.RememberSeed(seed); err != nil {
			return &badValue{fmt.Errorf("--seed %s: %w", seedPath, err)}
		}
	}
	if sf != nil {
		sf.snapshot = func(ctx context.Context) ([]byte, error) {
			snap, err := srv.Snapshot(ctx)
			if err != nil {
				return nil, err
			}
			return marshalState(snap)
		}
		if saved == nil {
			sf.changed() // the first save: the file exists from the start
		}
	}
	return nil
}

// loadInstanceState puts an instance's state in place from its state file, if it has one.
func loadInstanceState(ctx context.Context, inst *fake.Instance, sf *stateFile, saved []byte) error {
	if sf == nil {
		return nil
	}
	if saved != nil {
		state, err := fake.ParseInstanceState(saved)
		if err != nil {
			return fmt.Errorf("--state-file %s: %w (this is no instance state file; it is left as it is)", sf.path, err)
		}
		if err := inst.Restore(ctx, state); err != nil {
			return fmt.Errorf("--state-file %s: %w (the file is left as it is)", sf.path, err)
		}
	}
	sf.snapshot = func(ctx context.Context) ([]byte, error) {
		snap, err := inst.Snapshot(ctx)
		if err != nil {
			return nil, err
		}
		return marshalState(snap)
	}
	if saved == nil {
		sf.changed()
	}
	return nil
}

// serveWithStateFile starts saving after changes, and returns the stop function that stops
// serving and then saves a last time.
func serveWithStateFile(ctx context.Context, sf *stateFile, stop func(context.Context) error) func(context.Context) error {
	if sf == nil {
		return stop
	}
	go sf.run(ctx)
	return func(sctx context.Context) error {
		err := stop(sctx)
		if serr := sf.save(sctx); serr != nil {
			err = errors.Join(err, fmt.Errorf("saving the state file: %w", serr))
		}
		return err
	}
}
