package fake

import (
	"net/url"
	"slices"
	"strings"
)

// decodeAdminBody is decodeStrict for a request of the admin API: a problem is a 400.
func decodeAdminBody(x *request, what string, v any) *apiError {
	if len(trimJSONSpace(x.body)) == 0 {
		return errBadRequest("%s: the body is empty: send a JSON object", what)
	}
	if err := decodeStrict(x.body, v); err != nil {
		return errBadRequest("%s: %s", what, cleanJSONError(err))
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
	return func(x *request) (any, *apiError) {
		if err := onlyParams(x.r.URL.Query()); err != nil {
			return nil, err
		}
		return fn(x)
	}
}
