package server

import (
	"net/http"

	"almanac/account"
	"almanac/auth"
	"almanac/internal/api"
	"almanac/mailbox"
	"almanac/sharing"
)

// apiHandler serves the authenticated /api/v1/: sharing, public links,
// the account, mail services. Errors share one JSON shape (internal/api).
func apiHandler(links, shares, accounts, mail http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(sharing.SharesPath, shares)
	mux.Handle(sharing.SharesPath+"/", shares)
	mux.Handle(sharing.LinksPath, links)
	mux.Handle(sharing.LinksPath+"/", links)
	mux.Handle(account.AccountPath, accounts)
	mux.Handle(account.AccountPath+"/", accounts)
	for _, p := range []string{mailbox.OrgsPath, mailbox.ServicesPath, mailbox.MailboxesPath} {
		mux.Handle(p, mail)
		mux.Handle(p+"/", mail)
	}
	mux.Handle(mailbox.ResolvePath, mail)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		api.WriteError(w, r, nil, api.Errorf(http.StatusNotFound, "not_found", "no such API endpoint"))
	})
	return loginChangeGate(mux)
}

// loginChangeGate holds an account whose login ID was taken away (its
// mailbox was deleted; it logs in with a fallback username) to the
// endpoints it needs to choose a new one.
func loginChangeGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		acc := auth.AccountFrom(r.Context())
		if acc != nil && auth.ValidateLogin(acc.Login) != nil {
			switch r.URL.Path {
			case account.AccountPath, account.AccountPath + "/login", account.AccountPath + "/login/confirm":
			default:
				api.WriteError(w, r, nil, api.Errorf(http.StatusForbidden, "login_change_required",
					"your login ID was removed with its mailbox: choose a new one with POST "+account.AccountPath+"/login"))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
