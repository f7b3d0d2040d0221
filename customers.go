package membrane

import (
	"context"
	"encoding/json"
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
// Credentials print (fmt, every verb) and marshal to JSON as [REDACTED], and are left out of
// logs; call Credentials.Reveal for them.
type Customer struct {
	// ID is the customer's id, assigned by the server.
	ID string `json:"id"`
	// Name is the customer's display name.
	Name string `json:"name"`
	// InternalID is your own id for the customer, unique within the workspace; it defaults to ID.
	InternalID string `json:"internalId,omitempty"`
	// Fields are the workspace's custom fields of the customer, by name.
	Fields map[string]any `json:"fields,omitempty"`
	// Credentials are the customer's own credentials, in whatever shape the workspace uses.
	Credentials Credentials `json:"credentials,omitempty"`
	// Meta is extra information the server keeps about the customer; it may be nil.
	Meta map[string]any `json:"meta,omitempty"`
	// IsTest marks a customer made for testing rather than a real one.
	IsTest bool `json:"isTest,omitempty"`
	// IsActive is true for a new customer and false while it is archived.
	IsActive bool `json:"isActive,omitempty"`
	// IsBillable reports whether the customer counts towards billing.
	IsBillable bool `json:"isBillable,omitempty"`
	// AICreditsRolling30DayLimit caps the AI credits the customer may use over any 30 days;
	// nil: no limit of its own.
	AICreditsRolling30DayLimit *float64 `json:"aiCreditsRolling30DayLimit,omitempty"`
	// LastActiveAt is when a request was last made with the customer's tenant token, if ever.
	LastActiveAt *time.Time `json:"lastActiveAt,omitempty"`
	// CreatedAt is when the customer was made.
	CreatedAt time.Time `json:"createdAt"`
	// ArchivedAt is when the customer was archived; nil while it is not.
	ArchivedAt *time.Time `json:"archivedAt,omitempty"`
}

// LogValue logs the identifying fields of c and leaves out its credentials and fields.
func (c Customer) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", c.ID), slog.String("name", c.Name), slog.String("internalId", c.InternalID),
		slog.Bool("isTest", c.IsTest), slog.Bool("isActive", c.IsActive), slog.Bool("archived", c.ArchivedAt != nil),
	)
}

// Format prints c like fmt would, with its credentials redacted whatever the verb.
func (c Customer) Format(f fmt.State, verb rune) {
	type plain Customer // the same fields, without this method
	formatPlain(f, verb, plain(c), "membrane.Customer")
}

// checkAnswer reports an answer that is not a customer: null, {} or one without an id.
func (c *Customer) checkAnswer() error {
	if c.ID == "" {
		return errors.New("it is not a customer: it has no id")
	}
	return nil
}

// CreateCustomerRequest is the body of CustomersService.Create. Its Credentials print (fmt and
// slog) and marshal to JSON as [REDACTED]; the client sends them as they are.
type CreateCustomerRequest struct {
	// Name is required.
	Name string `json:"name"`
	// InternalID is the platform's own id of the customer, unique in the workspace.
	InternalID string `json:"internalId,omitempty"`
	// Fields are the customer's custom fields, by name, sent as a JSON object; nil or empty
	// sends none. A Secret in them is sent revealed.
	Fields map[string]any `json:"fields,omitempty"`
	// Credentials are the customer's own credentials: any value that encodes as JSON; nil
	// sends none.
	Credentials any `json:"credentials,omitempty"`
}

// MarshalJSON writes r with its credentials redacted.
func (r CreateCustomerRequest) MarshalJSON() ([]byte, error) {
	type plain CreateCustomerRequest
	p := plain(r)
	if p.Credentials != nil {
		p.Credentials = Secret("")
	}
	return json.Marshal(p)
}

// wire returns r as the API must receive it, credentials revealed.
func (r CreateCustomerRequest) wire() any {
	type plain CreateCustomerRequest
	p := plain(r)
	p.Fields, _ = reveal(r.Fields).(map[string]any)
	p.Credentials = reveal(r.Credentials)
	return p
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

// UpdateCustomerRequest is the body of CustomersService.Update. Every field is an Optional (see
// Optional): unset fields are left out and stay as they are; Set(v) sends v, even "" or an empty
// map; Null clears a field (AICreditsRolling30DayLimit, Credentials). The refusals the fields
// name are the fake's checks (docs/contract.md); a real server may differ. Its Credentials print
// (fmt and slog) and marshal to JSON as [REDACTED]; the client sends them as they are.
type UpdateCustomerRequest struct {
	// Name renames the customer. It must hold a character that is not a space: Set(""),
	// Set("  ") and Null are refused with a 400 naming "name".
	Name Optional[string] `json:"name,omitzero"`
	// InternalID changes the customer's internal id, the tenant key its tokens name. Set("") and
	// Null are refused; one another customer of the workspace has is ErrAlreadyExists.
	InternalID Optional[string] `json:"internalId,omitzero"`
	// Fields replaces the whole map of custom fields (it does not merge them); Null removes
	// them.
	Fields Optional[map[string]any] `json:"fields,omitzero"`
	// Credentials replaces the credentials with any value that encodes as JSON; Null removes
	// them.
	Credentials Optional[any] `json:"credentials,omitzero"`
	// AICreditsRolling30DayLimit sets the customer's cap on AI credits over any 30 days, 0 or
	// more (a negative one is refused with a 400); Null removes the cap.
	AICreditsRolling30DayLimit Optional[float64] `json:"aiCreditsRolling30DayLimit,omitzero"`
}

// MarshalJSON writes r with its credentials redacted.
func (r UpdateCustomerRequest) MarshalJSON() ([]byte, error) {
	type plain UpdateCustomerRequest
	p := plain(r)
	if _, ok := p.Credentials.Get(); ok {
		p.Credentials = Set[any](Secret(""))
	}
	return json.Marshal(p)
}

// wire returns r as the API must receive it, credentials revealed.
func (r UpdateCustomerRequest) wire() any {
	type plain UpdateCustomerRequest
	p := plain(r)
	if v, ok := r.Credentials.Get(); ok {
		p.Credentials = Set(reveal(v))
	}
	if v, ok := r.Fields.Get(); ok {
		m, _ := reveal(v).(map[string]any)
		p.Fields = Set(m)
	}
	return p
}

// Format prints r like fmt would, with its credentials redacted whatever the verb.
func (r UpdateCustomerRequest) Format(f fmt.State, verb rune) {
	type plain UpdateCustomerRequest
	p := plain(r)
	if _, ok := p.Credentials.Get(); ok {
		p.Credentials = Set[any](Secret("")) // prints [REDACTED]
	}
	formatPlain(f, verb, p, "membrane.UpdateCustomerRequest")
}

// LogValue logs r as Format prints it with %+v, credentials redacted.
func (r UpdateCustomerRequest) LogValue() slog.Value { return slog.StringValue(fmt.Sprintf("%+v", r)) }

// ReplaceCustomerRequest is the body of CustomersService.Replace: the whole customer. Name is
// required. Fields, Credentials, IsTest and AICreditsRolling30DayLimit that are not set (nil,
// false) are cleared on the server; an empty InternalID keeps the one the customer has (it is the
// tenant key that tokens name). Its Credentials print (fmt and slog) and marshal to JSON as
// [REDACTED]; the client sends them as they are.
type ReplaceCustomerRequest struct {
	// Name is the customer's name. Required: one without a character that is not a space is
	// refused before anything is sent.
	Name string `json:"name"`
	// InternalID is the customer's new internal id; empty keeps the one it has. One that
	// another customer of the workspace has is ErrAlreadyExists.
	InternalID string `json:"internalId,omitempty"`
	// Fields are the customer's custom fields, by name; nil or empty removes them.
	Fields map[string]any `json:"fields,omitempty"`
	// Credentials are the customer's credentials, any value that encodes as JSON; nil removes
	// them.
	Credentials any `json:"credentials,omitempty"`
	// IsTest marks a test customer; false makes it a real one.
	IsTest bool `json:"isTest,omitempty"`
	// AICreditsRolling30DayLimit caps the AI credits the customer may use over any 30 days, 0
	// or more (a negative one is refused with a 400); nil removes the cap.
	AICreditsRolling30DayLimit *float64 `json:"aiCreditsRolling30DayLimit,omitempty"`
}

// MarshalJSON writes r with its credentials redacted.
func (r ReplaceCustomerRequest) MarshalJSON() ([]byte, error) {
	type plain ReplaceCustomerRequest
	p := plain(r)
	if p.Credentials != nil {
		p.Credentials = Secret("")
	}
	return json.Marshal(p)
}

// wire returns r as the API must receive it, credentials revealed.
func (r ReplaceCustomerRequest) wire() any {
	type plain ReplaceCustomerRequest
	p := plain(r)
	p.Fields, _ = reveal(r.Fields).(map[string]any)
	p.Credentials = reveal(r.Credentials)
	return p
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
	Cursor string `url:"cursor,omitempty"`
	// Search keeps the customers whose name or internal id contains it, ignoring case.
	Search string `url:"search,omitempty"`
	// IncludeArchived lists archived customers too; they are left out by default.
	IncludeArchived bool `url:"includeArchived,omitempty"`
	// IsTest, when not nil, keeps the test customers (Ptr(true)) or the others (Ptr(false)).
	IsTest *bool `url:"isTest,omitempty"`
	// IsActive, when not nil, keeps the customers whose IsActive is that value. Archived
	// customers are the inactive ones, so Ptr(false) finds them only with IncludeArchived.
	IsActive *bool `url:"isActive,omitempty"`
}

// CustomerList is one page of customers.
type CustomerList struct {
	// Items are the customers of the page, oldest first; empty, never nil, when none match (a
	// page without "items" is an error).
	Items []*Customer `json:"items"`
	// Cursor fetches the next page; it is empty on the last page.
	Cursor string `json:"cursor,omitempty"`
}

// LogValue logs the page as Customer.LogValue logs each customer, credentials left out.
func (l CustomerList) LogValue() slog.Value { return logPage(l.Items, l.Cursor) }

// checkAnswer reports a page without items, or with an item that is not a customer.
func (l *CustomerList) checkAnswer() error { return checkItems(l.Items) }

// CustomersService calls the customer endpoints of the workspace API. It needs a workspace-level
// token (no tenant, or isAdmin).
type CustomersService struct {
	api *apiClient
}

// Create creates a customer.
//
// POST /customers. It carries an Idempotency-Key (see WithIdempotencyKey), so its retries never
// create twice.
func (s *CustomersService) Create(ctx context.Context, req *CreateCustomerRequest, opts ...CallOption) (*Customer, error) {
	const op = "Customers.Create"
	if req == nil {
		return nil, errors.New("membrane: " + op + ": the request is nil")
	}
	if strings.TrimSpace(req.Name) == "" {
		return nil, errors.New("membrane: " + op + ": Name is empty")
	}
	cu := new(Customer)
	err := s.api.do(ctx, call{op: op, method: http.MethodPost, path: "/customers", body: req, opts: opts}, cu)
	if err != nil {
		return nil, err
	}
	return cu, nil
}

// Get fetches a customer.
//
// GET /customers/{id}.
func (s *CustomersService) Get(ctx context.Context, id string, opts ...CallOption) (*Customer, error) {
	return s.one(ctx, "Customers.Get", http.MethodGet, id, "", nil, opts)
}

// List fetches one page of customers; opts may be nil.
//
// GET /customers.
func (s *CustomersService) List(ctx context.Context, opts *ListCustomersOptions, callOpts ...CallOption) (*CustomerList, error) {
	const op = "Customers.List"
	if opts == nil {
		opts = &ListCustomersOptions{}
	}
	if err := checkLimit(op, opts.Limit); err != nil {
		return nil, err
	}
	page := new(CustomerList)
	if err := s.api.do(ctx, call{op: op, method: http.MethodGet, path: "/customers", query: opts, opts: callOpts}, page); err != nil {
		return nil, err
	}
	return page, nil
}

// All iterates over the customers of every page, starting at opts.Cursor; opts may be nil and is
// never modified. The call options apply to every page. On an error, a cursor the server already
// gave included, it yields the error once and stops.
//
// GET /customers, once per page.
func (s *CustomersService) All(ctx context.Context, opts *ListCustomersOptions, callOpts ...CallOption) iter.Seq2[*Customer, error] {
	var base ListCustomersOptions
	if opts != nil {
		base = *opts
	}
	return paginate(base.Cursor, func(cursor string) ([]*Customer, string, error) {
		o := base
		o.Cursor = cursor
		page, err := s.List(ctx, &o, callOpts...)
		if err != nil {
			return nil, "", err
		}
		return page.Items, page.Cursor, nil
	})
}

// Update changes the fields set in req and leaves the others as they are.
//
// PATCH /customers/{id}.
func (s *CustomersService) Update(ctx context.Context, id string, req *UpdateCustomerRequest, opts ...CallOption) (*Customer, error) {
	if req == nil {
		return nil, errors.New("membrane: Customers.Update: the request is nil")
	}
	return s.one(ctx, "Customers.Update", http.MethodPatch, id, "", req, opts)
}

// Replace replaces the whole customer with req: what req leaves unset is cleared, except the
// internal id, which stays when req.InternalID is empty.
//
// PUT /customers/{id}.
func (s *CustomersService) Replace(ctx context.Context, id string, req *ReplaceCustomerRequest, opts ...CallOption) (*Customer, error) {
	const op = "Customers.Replace"
	if req == nil {
		return nil, errors.New("membrane: " + op + ": the request is nil")
	}
	if strings.TrimSpace(req.Name) == "" {
		return nil, errors.New("membrane: " + op + ": Name is empty")
	}
	return s.one(ctx, op, http.MethodPut, id, "", req, opts)
}

// Archive archives a customer.
//
// DELETE /customers/{id}.
func (s *CustomersService) Archive(ctx context.Context, id string, opts ...CallOption) (*Customer, error) {
	return s.one(ctx, "Customers.Archive", http.MethodDelete, id, "", nil, opts)
}

// Restore brings an archived customer back.
//
// POST /customers/{id}/restore, with an Idempotency-Key (see WithIdempotencyKey).
func (s *CustomersService) Restore(ctx context.Context, id string, opts ...CallOption) (*Customer, error) {
	return s.one(ctx, "Customers.Restore", http.MethodPost, id, "/restore", nil, opts)
}

// one performs a call on a single customer that answers with the customer.
func (s *CustomersService) one(ctx context.Context, op, method, id, suffix string, body any, opts []CallOption) (*Customer, error) {
	if err := requireID(op, "id", id); err != nil {
		return nil, err
	}
	cu := new(Customer)
	path := "/customers/" + url.PathEscape(id) + suffix
	if err := s.api.do(ctx, call{op: op, method: method, path: path, body: body, opts: opts}, cu); err != nil {
		return nil, err
	}
	return cu, nil
}
