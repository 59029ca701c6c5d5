package web

import (
	"html/template"
	"io/fs"
	"strings"
)

// field is one labelled input with its error beside it.
type field struct {
	P                   *page
	Name, Label, Type   string
	Auto, Hint          string
	Required, KeepValue bool
	Options             []string
}

func (f field) Err() string   { return f.P.Err(f.Name) }
func (f field) Value() string { return f.P.Val(f.Name) }

// copyField is a read-only URL with a copy button (app.js shows it).
type copyField struct {
	P              *page
	ID, Label, URL string
}

// parseTemplates parses each page with the layout and the partials: a
// page defines "content".
func parseTemplates() map[string]*template.Template {
	funcs := template.FuncMap{
		// fld name label type [autocomplete [hint]]: secrets are never
		// written back into the form.
		"fld": func(p *page, name, label, typ string, more ...string) field {
			f := field{P: p, Name: name, Label: p.T(label), Type: typ, Required: true, KeepValue: typ != "password"}
			if len(more) > 0 {
				f.Auto = more[0]
			}
			if len(more) > 1 && more[1] != "" {
				f.Hint = p.T(more[1])
			}
			return f
		},
		// area name label required [hint]: a textarea.
		"area": func(p *page, name, label string, required bool, hint ...string) field {
			f := field{P: p, Name: name, Label: p.T(label), Required: required, KeepValue: true}
			if len(hint) > 0 {
				f.Hint = p.T(hint[0])
			}
			return f
		},
		"opt":     func(f field) field { f.Required = false; return f },
		"options": func(f field, opts ...string) field { f.Options = opts; return f },
		"join":    strings.Join,
		"cp": func(p *page, id, label, url string) copyField {
			return copyField{P: p, ID: id, Label: p.T(label), URL: url}
		},
		"list":  func(s ...string) []string { return s },
		"split": func(addr string) []string { return strings.SplitN(addr, "@", 2) },
	}
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html"))
	pages := map[string]*template.Template{}
	names, _ := fs.Glob(templateFS, "templates/*.html")
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		pages[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, n))
	}
	return pages
}
