package fake

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"slices"
	"strings"
)

// decodeStrict reads one JSON value from b into v, refusing unknown fields, values of the wrong
// type, an empty body and anything after the value.
func decodeStrict(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errors.New("the body is empty: send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New(cleanJSONError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// decodeAdminBody is decodeStrict for a request of the admin API: a problem is a 400.
func decodeAdminBody(x *exchange, what string, v any) *apiError {
	if err := decodeStrict(x.body, v); err != nil {
		return errBadRequest("%s: %s", what, err)
	}
	return nil
}

// onlyParams refuses a query with a parameter other than allowed, or one given twice.
func onlyParams(q url.Values, allowed ...string) *apiError {
	problems := map[string]string{}
	for name, vs := range q {
		switch {
		case !slices.Contains(allowed, name):
			if len(allowed) == 0 {
				problems[name] = "is not a parameter of this endpoint, which takes none"
			} else {
				problems[name] = "is not a parameter of this endpoint (" + strings.Join(allowed, ", ") + ")"
			}
		case len(vs) != 1:
			problems[name] = "is given more than once"
		}
	}
	if len(problems) > 0 {
		return errFields(problems)
	}
	return nil
}

// noParams is fn for an endpoint that takes no query parameter: any is a 400.
func noParams(fn handlerFunc) handlerFunc {
	return func(x *exchange) (any, *apiError) {
		if err := onlyParams(x.r.URL.Query()); err != nil {
			return nil, err
		}
		return fn(x)
	}
}
