package admin

import (
	"net/http"
	"strings"
	"time"

	"almanac/auth"
	"almanac/internal/api"
	"almanac/internal/fault"
	"almanac/storage"
)

// AccountsPath is where server admins manage accounts.
const AccountsPath = "/api/v1/admin/accounts"

// Routes registers the account administration endpoints, every one
// AdminOnly: to anyone but a server admin they do not exist.
func (s *Service) Routes(rt *api.Router) {
	rt.Handle("GET "+AccountsPath, s.list, api.AdminOnly)
	rt.Handle("POST "+AccountsPath, s.create, api.AdminOnly)
	rt.Handle("GET "+AccountsPath+"/{account}", s.show, api.AdminOnly)
	rt.Handle("PATCH "+AccountsPath+"/{account}", s.patch, api.AdminOnly)
	rt.Handle("DELETE "+AccountsPath+"/{account}", s.remove, api.AdminOnly)
}

// IsAdmin is the API router's Admin hook: the request's account, read
// when it authenticated, is a server admin.
func IsAdmin(r *http.Request) bool {
	acc := auth.AccountFrom(r.Context())
	return acc != nil && acc.Admin
}

// AccountJSON is an account as a server admin sees it.
type AccountJSON struct {
	ID          string    `json:"id"`
	Login       string    `json:"login"`
	DisplayName string    `json:"display_name"`
	Created     time.Time `json:"created"`
	Admin       bool      `json:"admin"`
	Disabled    bool      `json:"disabled"`
}

func accountJSON(a *storage.Account) AccountJSON {
	return AccountJSON{ID: a.ID, Login: a.Login, DisplayName: a.DisplayName, Created: a.Created, Admin: a.Admin, Disabled: a.Disabled}
}

func (s *Service) list(w http.ResponseWriter, r *http.Request) error {
	accs, err := s.Accounts(r.Context())
	if err != nil {
		return err
	}
	out := make([]AccountJSON, 0, len(accs))
	for i := range accs {
		out = append(out, accountJSON(&accs[i]))
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"accounts": out})
	return nil
}

// create makes an account for someone else. Without a password in the
// body it generates one and answers it, the one time it is shown.
func (s *Service) create(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Login    string  `json:"login"`
		Password *string `json:"password"`
		Handle   string  `json:"handle"`
		Admin    bool    `json:"admin"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	n := NewAccount{Login: strings.TrimSpace(req.Login), Handle: req.Handle, Admin: req.Admin}
	generated := req.Password == nil
	if generated {
		n.Password = auth.GeneratePassword()
	} else {
		n.Password = *req.Password
	}
	acc, err := s.CreateAccount(r.Context(), n)
	if err != nil {
		return err
	}
	out := struct {
		AccountJSON
		Password string `json:"password,omitempty"`
	}{AccountJSON: accountJSON(acc)}
	if generated {
		out.Password = n.Password
	}
	api.WriteJSON(w, http.StatusCreated, out)
	return nil
}

// target is the account a path names: a handle, a login or "me".
func target(r *http.Request, st storage.Accounts) (*storage.Account, error) {
	return api.ResolveAccount(r.Context(), st, auth.AccountFrom(r.Context()), r.PathValue("account"))
}

func (s *Service) show(w http.ResponseWriter, r *http.Request) error {
	acc, err := target(r, s.store)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, accountJSON(acc))
	return nil
}

// ownAccount refuses what would lock the caller out of administration:
// through the API an admin cannot disable, demote or delete themselves,
// so the last admin always stays one (the command line still can).
func ownAccount() error {
	return fault.New(fault.Forbidden, "own_account",
		"you cannot disable, demote or delete your own account; another admin or `almanac user` can")
}

func (s *Service) patch(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Admin    *bool `json:"admin"`
		Disabled *bool `json:"disabled"`
	}
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	if req.Admin == nil && req.Disabled == nil {
		return fault.Invalidf("admin", "give admin, disabled or both")
	}
	acc, err := target(r, s.store)
	if err != nil {
		return err
	}
	if acc.ID == auth.AccountFrom(r.Context()).ID && (req.Admin != nil && !*req.Admin || req.Disabled != nil && *req.Disabled) {
		return ownAccount()
	}
	acc, err = s.SetFlags(r.Context(), acc.ID, Flags{Admin: req.Admin, Disabled: req.Disabled})
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, accountJSON(acc))
	return nil
}

func (s *Service) remove(w http.ResponseWriter, r *http.Request) error {
	acc, err := target(r, s.store)
	if err != nil {
		return err
	}
	if acc.ID == auth.AccountFrom(r.Context()).ID {
		return ownAccount()
	}
	if err := s.DeleteAccount(r.Context(), acc.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
