package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"

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
		var state fake.InstanceState
		if err := decodeStrict(saved, &state); err != nil {
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

// decodeStrict reads exactly one JSON value, refusing unknown fields and anything after it. Its
// errors speak of JSON, as the fake's do: "workspaces: a JSON string where an array is wanted",
// never of Go types.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New(jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// jsonProblem says what is wrong with a JSON document in the fake's words.
func jsonProblem(err error) string {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		msg := "a JSON " + te.Value + " where " + jsonKind(te.Type) + " is wanted"
		if te.Field != "" {
			msg = te.Field + ": " + msg
		}
		return msg
	}
	msg := err.Error()
	if i := strings.Index(msg, " into Go "); i >= 0 {
		msg = msg[:i]
	}
	return strings.TrimPrefix(msg, "json: ")
}

// jsonKind names the JSON value a Go type takes.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another value"
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
