package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"almanac/auth"
	"almanac/internal/fault"
	"almanac/storage"
)

// Store is what account administration reads and writes: the accounts,
// and their sessions, which disabling ends.
type Store interface {
	storage.Accounts
	DeleteSessions(ctx context.Context, account, except string) error
}

// Options configures a Service.
type Options struct {
	Logger *slog.Logger
	// Provision gives a new account its default calendar and address
	// book. Required: the server passes the one it provisions with.
	Provision func(ctx context.Context, acc *storage.Account) error
	// HashPassword hashes a new password. Default auth.HashPassword; the
	// server passes its Guard's, so that argon2 runs under its one limit.
	HashPassword func(ctx context.Context, pw string) (string, error)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Service does what a server admin does to accounts, for the admin API
// and the command line alike: one implementation of each operation.
type Service struct {
	store Store
	opts  Options
}

// New returns the service.
func New(store Store, opts Options) *Service {
	if opts.Provision == nil {
		panic("admin: Options.Provision is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HashPassword == nil {
		opts.HashPassword = func(_ context.Context, pw string) (string, error) { return auth.HashPassword(pw) }
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{store: store, opts: opts}
}

// CheckLogin refuses a login that is not an email address.
func CheckLogin(login string) error {
	if err := auth.ValidateLogin(login); err != nil {
		return fault.Invalidf("login", "%s", err.Error())
	}
	return nil
}

// maxHandle bounds a handle: it is a URL segment of every DAV path.
const maxHandle = 64

// CheckHandle allows what is safe in a URL segment without escaping; ""
// (a random handle) is allowed.
func CheckHandle(h string) error {
	if h == "" {
		return nil
	}
	if len(h) > maxHandle {
		return fault.Invalidf("handle", "the handle must have at most %d characters", maxHandle)
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') || h == "." || h == ".." {
			return fault.Invalidf("handle", "the handle may contain only a-z, 0-9, '-', '_' and '.'")
		}
	}
	return nil
}

// CheckPassword applies the rule the account settings apply to a new
// password (auth.PasswordProblem), so that no way of making an account
// is a back door for a password the settings would refuse.
func CheckPassword(pw, login string) error {
	if p := auth.PasswordProblem(pw, login); p != "" {
		return fault.Invalidf("password", "%s", p)
	}
	return nil
}

// NewAccount is an account to create.
type NewAccount struct {
	Login    string
	Password string // checked with CheckPassword
	Handle   string // "" for a random one
	Admin    bool
}

// CreateAccount checks n, stores the account and provisions its
// calendar and address book. A refused account leaves nothing stored;
// so does a failed provisioning, which takes the account back.
func (s *Service) CreateAccount(ctx context.Context, n NewAccount) (*storage.Account, error) {
	if err := CheckLogin(n.Login); err != nil {
		return nil, err
	}
	if err := CheckHandle(n.Handle); err != nil {
		return nil, err
	}
	if err := CheckPassword(n.Password, n.Login); err != nil {
		return nil, err
	}
	hash, err := s.opts.HashPassword(ctx, n.Password)
	if err != nil {
		return nil, fmt.Errorf("admin: hash password: %w", err)
	}
	acc := &storage.Account{ID: n.Handle, Login: n.Login, PasswordHash: hash, Admin: n.Admin}
	if err := s.store.CreateAccount(ctx, acc); err != nil {
		if errors.Is(err, storage.ErrExists) {
			return nil, &fault.Error{Kind: fault.Conflict, Code: "exists", Field: "login",
				Message: fmt.Sprintf("an account with login %s (or handle %q) already exists", n.Login, n.Handle)}
		}
		return nil, fmt.Errorf("admin: create account: %w", err)
	}
	if err := s.opts.Provision(ctx, acc); err != nil {
		if derr := s.store.DeleteAccount(context.WithoutCancel(ctx), acc.ID); derr != nil {
			s.opts.Logger.ErrorContext(ctx, "admin: cannot remove a half-made account", "account", acc.ID, "err", derr)
		}
		return nil, fmt.Errorf("admin: provision account %s: %w", acc.ID, err)
	}
	return acc, nil
}

// ByLogin finds an account by login, case-insensitively.
func (s *Service) ByLogin(ctx context.Context, login string) (*storage.Account, error) {
	acc, err := s.store.AccountByLogin(ctx, login)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, &fault.Error{Kind: fault.NotFound, Code: "not_found", Message: "no account with login " + login, Err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("admin: find account: %w", err)
	}
	return acc, nil
}

// SetPassword gives acc the password pw, checked with CheckPassword
// against its login, as the account settings do.
func (s *Service) SetPassword(ctx context.Context, acc *storage.Account, pw string) error {
	if err := CheckPassword(pw, acc.Login); err != nil {
		return err
	}
	hash, err := s.opts.HashPassword(ctx, pw)
	if err != nil {
		return fmt.Errorf("admin: hash password: %w", err)
	}
	now := s.opts.Now().UTC()
	if _, err := s.store.ModifyAccount(ctx, acc.ID, func(a *storage.Account) error {
		a.PasswordHash, a.PasswordChanged = hash, now
		return nil
	}); err != nil {
		return fmt.Errorf("admin: set password: %w", err)
	}
	return nil
}

// Flags are the changes SetFlags makes; a nil one stays as it is.
type Flags struct {
	Admin, Disabled *bool
}

// SetFlags changes whether account id is an admin and whether it is
// disabled, and returns the account as stored. A disabled account's
// sessions end: whoever is let back in logs in again. Its app passwords
// stay, refused while it is disabled, so that re-enabling it gives the
// owner back their devices.
func (s *Service) SetFlags(ctx context.Context, id string, f Flags) (*storage.Account, error) {
	acc, err := s.store.ModifyAccount(ctx, id, func(a *storage.Account) error {
		if f.Admin != nil {
			a.Admin = *f.Admin
		}
		if f.Disabled != nil {
			a.Disabled = *f.Disabled
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("admin: change account: %w", err)
	}
	if acc.Disabled {
		if err := s.store.DeleteSessions(ctx, id, ""); err != nil {
			return nil, fmt.Errorf("admin: end the sessions of a disabled account: %w", err)
		}
	}
	return acc, nil
}

// DeleteAccount removes account id with everything it owns.
func (s *Service) DeleteAccount(ctx context.Context, id string) error {
	if err := s.store.DeleteAccount(ctx, id); err != nil {
		return fmt.Errorf("admin: delete account: %w", err)
	}
	return nil
}

// Accounts lists every account, ordered by login.
func (s *Service) Accounts(ctx context.Context) ([]storage.Account, error) {
	accs, err := s.store.ListAccounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("admin: list accounts: %w", err)
	}
	return accs, nil
}
