package membrane

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Customer is a tenant of a workspace: one customer of the platform that uses Membrane. Its
// Credentials print as [REDACTED] (fmt, every verb) and are left out of logs; JSON carries them.
type Customer struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	InternalID string         `json:"internalId,omitempty"`
	Fields     map[string]any `json:"fields,omitempty"`
	// Credentials are the customer's own credentials, in whatever shape the workspace uses.
	Credentials                Credentials    `json:"credentials,omitempty"`
	Meta                       map[string]any `json:"meta,omitempty"`
	IsTest                     bool           `json:"isTest,omitempty"`
	IsActive                   bool           `json:"isActive,omitempty"`
	IsBillable                 bool           `json:"isBillable,omitempty"`
	AICreditsRolling30DayLimit *float64       `json:"aiCreditsRolling30DayLimit,omitempty"`
	LastActiveAt               *time.Time     `json:"lastActiveAt,omitempty"`
	CreatedAt                  time.Time      `json:"createdAt"`
	ArchivedAt                 *time.Time     `json:"archivedAt,omitempty"`
}

// LogValue logs the identifying fields of c and leaves out its credentials and fields.
func (c Customer) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", c.ID), slog.String("name", c.Name), slog.String("internalId", c.InternalID),
		slog.Bool("isTest", c.IsTest), slog.Bool("isActive", c.IsActive), slog.Bool("archived", c.ArchivedAt != nil),
	)
}

// CreateCustomerRequest is the body of CustomersService.Create. Credentials print as [REDACTED]
// (fmt and slog); JSON carries them.
type CreateCustomerRequest struct {
	// Name is required.
	Name string `json:"name"`
	// InternalID is the platform's own id of the customer, unique in the workspace.
	InternalID  string         `json:"internalId,omitempty"`
	Fields      map[string]any `json:"fields,omitempty"`
	Credentials any            `json:"credentials,omitempty"`
	// IdempotencyKey makes the create happen once however often it is sent. When empty, a random
	// key is made for the call and reused by its retries.
	IdempotencyKey string `json:"-"`
}

// Format prints r like fmt would, with its credentials redacted whatever the verb.
func (r CreateCustomerRequest) Format(f fmt.State, verb rune) {
	type plain CreateCustomerRequest
	p := plain(r)
	if p.Credentials != nil {
		p.Credentials = Secret("") // prints [REDACTED]
	}
	formatPlain(f, verb, p, "membrane.CreateCustomerRequest")
}

// LogValue logs r as Format prints it with %+v, credentials redacted.
func (r CreateCustomerRequest) LogValue() slog.Value { return slog.StringValue(fmt.Sprintf("%+v", r)) }

// UpdateCustomerRequest is the body of CustomersService.Update. Unset fields are left out and stay
// as they are; set fields are sent even when empty. Fields is sent when not nil (an empty map
// sends {}); Credentials when not nil (json.RawMessage("null") sends null);
// AICreditsRolling30DayLimit: Null[float64]() clears the limit. Credentials print as [REDACTED]
// (fmt and slog); JSON carries them.
type UpdateCustomerRequest struct {
	Name                       *string           `json:"name,omitempty"`
	InternalID                 *string           `json:"internalId,omitempty"`
	Fields                     map[string]any    `json:"fields,omitzero"`
	Credentials                any               `json:"credentials,omitempty"`
	AICreditsRolling30DayLimit Nullable[float64] `json:"aiCreditsRolling30DayLimit,omitzero"`
}

// Format prints r like fmt would, with its credentials redacted whatever the verb.
func (r UpdateCustomerRequest) Format(f fmt.State, verb rune) {
	type plain UpdateCustomerRequest
	p := plain(r)
	if p.Credentials != nil {
		p.Credentials = Secret("") // prints [REDACTED]
	}
	formatPlain(f, verb, p, "membrane.UpdateCustomerRequest")
}

// LogValue logs r as Format prints it with %+v, credentials redacted.
func (r UpdateCustomerRequest) LogValue() slog.Value { return slog.StringValue(fmt.Sprintf("%+v", r)) }

// ReplaceCustomerRequest is the body of CustomersService.Replace: the whole customer. Name is
// required. Fields, Credentials, IsTest and AICreditsRolling30DayLimit that are not set (nil,
// false) are cleared on the server; an empty InternalID keeps the one the customer has (it is the
// tenant key that tokens name). Credentials print as [REDACTED] (fmt and slog); JSON carries them.
type ReplaceCustomerRequest struct {
	Name                       string         `json:"name"`
	InternalID                 string         `json:"internalId,omitempty"`
	Fields                     map[string]any `json:"fields,omitempty"`
	Credentials                any            `json:"credentials,omitempty"`
	IsTest                     bool           `json:"isTest,omitempty"`
	AICreditsRolling30DayLimit *float64       `json:"aiCreditsRolling30DayLimit,omitempty"`
}

// Format prints r like fmt would, with its credentials redacted whatever the verb.
func (r ReplaceCustomerRequest) Format(f fmt.State, verb rune) {
	type plain ReplaceCustomerRequest
	p := plain(r)
	if p.Credentials != nil {
		p.Credentials = Secret("") // prints [REDACTED]
	}
	formatPlain(f, verb, p, "membrane.ReplaceCustomerRequest")
}

// LogValue logs r as Format prints it with %+v, credentials redacted.
func (r ReplaceCustomerRequest) LogValue() slog.Value { return slog.StringValue(fmt.Sprintf("%+v", r)) }

// ListCustomersOptions filters and pages CustomersService.List.
type ListCustomersOptions struct {
	// Limit is the page size, 1 to 1000 (server default 100).
	Limit int `url:"limit,omitempty"`
	// Cursor is the Cursor of the previous page; empty for the first page.
	Cursor          string `url:"cursor,omitempty"`
	Search          string `url:"search,omitempty"`
	IncludeArchived bool   `url:"includeArchived,omitempty"`
	// IsTest and IsActive filter when not nil.
	IsTest   *bool `url:"isTest,omitempty"`
	IsActive *bool `url:"isActive,omitempty"`
}

// CustomerList is one page of customers.
type CustomerList struct {
	Items []*Customer `json:"items"`
	// Cursor fetches the next page; it is empty on the last page.
	Cursor string `json:"cursor,omitempty"`
}

// LogValue logs the page as Customer.LogValue logs each customer, credentials left out.
func (l CustomerList) LogValue() slog.Value { return logPage(l.Items, l.Cursor) }

// CustomersService calls the customer endpoints of the workspace API. It needs a workspace-level
// token (no tenant, or isAdmin).
type CustomersService struct {
	api *apiClient
}

// Create creates a customer.
//
// POST /customers. It carries an Idempotency-Key, so its retries never create twice.
func (s *CustomersService) Create(ctx context.Context, req *CreateCustomerRequest) (*Customer, error) {
	const op = "Customers.Create"
	if req == nil {
		return nil, errors.New("membrane: " + op + ": the request is nil")
	}
	if strings.TrimSpace(req.Name) == "" {
		return nil, errors.New("membrane: " + op + ": Name is empty")
	}
	key := req.IdempotencyKey
	if key == "" {
		key = newIdempotencyKey()
	}
	cu := new(Customer)
	err := s.api.do(ctx, call{op: op, method: http.MethodPost, path: "/customers", body: req, idempotencyKey: key}, cu)
	if err != nil {
		return nil, err
	}
	return cu, nil
}

// Get fetches a customer.
//
// GET /customers/{id}.
func (s *CustomersService) Get(ctx context.Context, id string) (*Customer, error) {
	return s.one(ctx, "Customers.Get", http.MethodGet, id, "", nil)
}

// List fetches one page of customers; opts may be nil.
//
// GET /customers.
func (s *CustomersService) List(ctx context.Context, opts *ListCustomersOptions) (*CustomerList, error) {
	const op = "Customers.List"
	if opts == nil {
		opts = &ListCustomersOptions{}
	}
	if err := checkLimit(op, opts.Limit); err != nil {
		return nil, err
	}
	page := new(CustomerList)
	if err := s.api.do(ctx, call{op: op, method: http.MethodGet, path: "/customers", query: opts}, page); err != nil {
		return nil, err
	}
	return page, nil
}

// All iterates over the customers of every page, starting at opts.Cursor; opts may be nil and is
// never modified. On an error it yields the error once and stops.
//
// GET /customers, once per page.
func (s *CustomersService) All(ctx context.Context, opts *ListCustomersOptions) iter.Seq2[*Customer, error] {
	var base ListCustomersOptions
	if opts != nil {
		base = *opts
	}
	return paginate(base.Cursor, func(cursor string) ([]*Customer, string, error) {
		o := base
		o.Cursor = cursor
		page, err := s.List(ctx, &o)
		if err != nil {
			return nil, "", err
		}
		return page.Items, page.Cursor, nil
	})
}

// Update changes the fields set in req and leaves the others as they are.
//
// PATCH /customers/{id}.
func (s *CustomersService) Update(ctx context.Context, id string, req *UpdateCustomerRequest) (*Customer, error) {
	if req == nil {
		return nil, errors.New("membrane: Customers.Update: the request is nil")
	}
	return s.one(ctx, "Customers.Update", http.MethodPatch, id, "", req)
}

// Replace replaces the whole customer with req: what req leaves unset is cleared, except the
// internal id, which stays when req.InternalID is empty.
//
// PUT /customers/{id}.
func (s *CustomersService) Replace(ctx context.Context, id string, req *ReplaceCustomerRequest) (*Customer, error) {
	const op = "Customers.Replace"
	if req == nil {
		return nil, errors.New("membrane: " + op + ": the request is nil")
	}
	if strings.TrimSpace(req.Name) == "" {
		return nil, errors.New("membrane: " + op + ": Name is empty")
	}
	return s.one(ctx, op, http.MethodPut, id, "", req)
}

// Archive archives a customer.
//
// DELETE /customers/{id}.
func (s *CustomersService) Archive(ctx context.Context, id string) (*Customer, error) {
	return s.one(ctx, "Customers.Archive", http.MethodDelete, id, "", nil)
}

// Restore brings an archived customer back.
//
// POST /customers/{id}/restore, with an Idempotency-Key made for the call and reused by its
// retries.
func (s *CustomersService) Restore(ctx context.Context, id string) (*Customer, error) {
	return s.one(ctx, "Customers.Restore", http.MethodPost, id, "/restore", nil)
}

// one performs a call on a single customer that answers with the customer.
func (s *CustomersService) one(ctx context.Context, op, method, id, suffix string, body any) (*Customer, error) {
	if err := requireID(op, "id", id); err != nil {
		return nil, err
	}
	cu := new(Customer)
	path := "/customers/" + url.PathEscape(id) + suffix
	if err := s.api.do(ctx, call{op: op, method: method, path: path, body: body}, cu); err != nil {
		return nil, err
	}
	return cu, nil
}
