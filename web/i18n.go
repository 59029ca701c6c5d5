package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"almanac/internal/api"
)

// catalogue maps message keys to one language's text.
type catalogue map[string]string

func (c catalogue) t(key string, args ...any) string {
	s, ok := c[key]
	if !ok {
		s, ok = catalogues["en"][key]
		if !ok {
			return key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// errorText is an API error in the reader's language: the catalogue's
// text for its code when it has one, else the API's own (English) text,
// which names the rule exactly.
func (c catalogue) errorText(e *api.Error) string {
	if s, ok := c["err."+e.Code]; ok {
		return s
	}
	if s, ok := catalogues["en"]["err."+e.Code]; ok && e.Message == "" {
		return s
	}
	return e.Message
}

func (c catalogue) date(t time.Time) string {
	return c.day(t) + " " + t.Format("15:04")
}

func (c catalogue) day(t time.Time) string {
	months := strings.Split(c["months"], ",")
	days := strings.Split(c["weekdays"], ",")
	if c["lang"] == "fr" {
		return days[t.Weekday()] + " " + strconv.Itoa(t.Day()) + " " + months[t.Month()-1] + " " + strconv.Itoa(t.Year())
	}
	return days[t.Weekday()] + ", " + months[t.Month()-1] + " " + strconv.Itoa(t.Day()) + ", " + strconv.Itoa(t.Year())
}

// Cookies holding the reader's settings: they are preferences of a
// browser, not of an account, and the sign-in pages need them too.
const (
	langCookie = "almanac_lang"
	zoneCookie = "almanac_tz"
)

// language is the reader's: the setting, else the first of
// Accept-Language's languages we have (quality order), else English.
func language(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil {
		if _, ok := catalogues[c.Value]; ok {
			return c.Value
		}
	}
	return negotiate(r.Header.Get("Accept-Language"))
}

// negotiate picks from an Accept-Language value (RFC 9110 12.5.4) the
// language of highest weight we have; ties keep their order.
func negotiate(header string) string {
	best, bestQ := "en", -1.0
	if len(header) > 1024 {
		header = header[:1024]
	}
	for i, part := range strings.Split(header, ",") {
		if i >= 32 {
			break
		}
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if _, ok := catalogues[primary]; ok && q > bestQ && q > 0 {
			best, bestQ = primary, q
		}
	}
	return best
}

// zoneOf is the reader's time zone setting, UTC without one.
func zoneOf(r *http.Request) *time.Location {
	if c, err := r.Cookie(zoneCookie); err == nil {
		if loc, ok := loadZone(c.Value); ok {
			return loc
		}
	}
	return time.UTC
}

// loadZone loads an IANA zone name, refusing file-system paths.
func loadZone(name string) (*time.Location, bool) {
	if name == "" || len(name) > 64 || strings.Contains(name, "..") || strings.HasPrefix(name, "/") || name == "Local" {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	return loc, err == nil
}

func secondsDuration(s int) time.Duration { return time.Duration(s) * time.Second }
