package server

import (
	"net/http"

	"almanac/auth"
	"almanac/internal/api"
	"almanac/internal/davtree"
	"almanac/sharing"
)

// apiHandler serves /api/v1/. The account endpoint is the first; the
// account-settings issue extends it. Errors share one JSON shape:
// {"error": {"code": "...", "message": "..."}}.
func apiHandler(links, shares http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(sharing.SharesPath, shares)
	mux.Handle(sharing.SharesPath+"/", shares)
	mux.Handle(sharing.LinksPath, links)
	mux.Handle(sharing.LinksPath+"/", links)
	mux.HandleFunc("/api/v1/account", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			api.WriteError(w, r, nil, api.ErrMethodNotAllowed)
			return
		}
		acc := auth.AccountFrom(r.Context())
		api.WriteJSON(w, http.StatusOK, map[string]any{
			"id":            acc.ID,
			"login":         acc.Login,
			"display_name":  acc.DisplayName,
			"principal_url": davtree.Prefix + "principals/" + acc.ID + "/",
			"created":       acc.Created,
		})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		api.WriteError(w, r, nil, api.Errorf(http.StatusNotFound, "not_found", "no such API endpoint"))
	})
	return mux
}
