package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"almanac/internal/api"
)

type endpointJSON struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"`
}

type clientSettingsJSON struct {
	IMAP       *endpointJSON `json:"imap"`
	Submission *endpointJSON `json:"submission"`
	Effective  struct {
		IMAP       *endpointJSON `json:"imap"`
		Submission *endpointJSON `json:"submission"`
	} `json:"effective"`
}

type clientSettingsData struct {
	Service string
	S       clientSettingsJSON
}

func (h *Handler) clientSettingsPath(r *http.Request) string {
	return h.servicePath(r) + "/client-settings"
}

// clientSettingsView shows where a service's users are told to connect
// for mail, and lets its owner name servers of its own; the API says who
// may see and change them.
func (h *Handler) clientSettingsView(w http.ResponseWriter, r *http.Request, p *page) error {
	var s clientSettingsJSON
	if err := h.call(nil, r, p, http.MethodGet, h.clientSettingsPath(r), nil, &s); err != nil {
		return err
	}
	if len(p.Form) == 0 {
		for _, e := range []struct {
			name string
			e    *endpointJSON
		}{{"imap", s.IMAP}, {"submission", s.Submission}} {
			p.Form.Set(e.name+".security", "tls")
			if e.e != nil {
				p.Form.Set(e.name+".host", e.e.Host)
				p.Form.Set(e.name+".port", strconv.Itoa(e.e.Port))
				p.Form.Set(e.name+".security", e.e.Security)
			}
		}
	}
	p.Title, p.Nav, p.Data = p.T("clientsettings.title"), "manage", clientSettingsData{Service: r.PathValue("service"), S: s}
	return h.render(w, p, "client_settings")
}

// saveClientSettings sends the form: a protocol without a host takes
// the server's settings again.
func (h *Handler) saveClientSettings(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	f := r.PostForm
	in := map[string]any{}
	for _, name := range []string{"imap", "submission"} {
		host := strings.TrimSpace(f.Get(name + ".host"))
		if host == "" {
			in[name] = nil
			continue
		}
		port := 0
		if ps := strings.TrimSpace(f.Get(name + ".port")); ps != "" {
			n, err := strconv.Atoi(ps)
			if err != nil {
				return "", &api.Error{Status: http.StatusBadRequest, Code: "invalid", Field: name + ".port", Message: "a port is a number from 1 to 65535"}
			}
			port = n
		}
		in[name] = endpointJSON{Host: host, Port: port, Security: f.Get(name + ".security")}
	}
	if err := h.call(nil, r, p, http.MethodPut, h.clientSettingsPath(r), in, nil); err != nil {
		return "", err
	}
	return "/manage/services/" + url.PathEscape(r.PathValue("service")) + "/client-settings?done=saved", nil
}
