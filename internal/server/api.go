package server

import (
	"net/http"

	"almanac/account"
	"almanac/internal/api"
	"almanac/sharing"
)

// apiHandler serves the authenticated /api/v1/: sharing, public links,
// the account. Errors share one JSON shape (internal/api).
func apiHandler(links, shares, accounts http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(sharing.SharesPath, shares)
	mux.Handle(sharing.SharesPath+"/", shares)
	mux.Handle(sharing.LinksPath, links)
	mux.Handle(sharing.LinksPath+"/", links)
	mux.Handle(account.AccountPath, accounts)
	mux.Handle(account.AccountPath+"/", accounts)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		api.WriteError(w, r, nil, api.Errorf(http.StatusNotFound, "not_found", "no such API endpoint"))
	})
	return mux
}
