package server

import (
	"encoding/json"
	"net/http"

	"almanac/auth"
	"almanac/internal/davtree"
)

// apiHandler serves /api/v1/. The account endpoint is the first; the
// account-settings issue extends it. Errors share one JSON shape:
// {"error": {"code": "...", "message": "..."}}.
func apiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/account", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeAPIError(w, http.StatusMethodNotAllowed, "method_not_allowed", "this endpoint answers GET")
			return
		}
		acc := auth.AccountFrom(r.Context())
		writeJSON(w, http.StatusOK, map[string]any{
			"id":            acc.ID,
			"login":         acc.Login,
			"display_name":  acc.DisplayName,
			"principal_url": davtree.Prefix + "principals/" + acc.ID + "/",
			"created":       acc.Created,
		})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, http.StatusNotFound, "not_found", "no such API endpoint")
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeAPIError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
