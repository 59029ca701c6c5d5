package ical

import (
	"bytes"
	"strings"

	"almanac/internal/contentline"
)

// Class is a component's access classification (RFC 5545 3.8.1.3),
// ordered by how much it hides.
type Class uint8

const (
	ClassPublic Class = iota
	ClassConfidential
	ClassPrivate
)

// ParseClass reads a CLASS value. x-name and iana-token values it does
// not know, and an empty one, are ClassPrivate: RFC 5545 3.8.1.3
// "applications MUST treat x-name and iana-token values they don't
// recognize the same way as they would the PRIVATE value".
func ParseClass(value string) Class {
	v := strings.TrimSpace(value)
	switch {
	case asciiEqualFold(v, "PUBLIC"):
		return ClassPublic
	case asciiEqualFold(v, "CONFIDENTIAL"):
		return ClassConfidential
	}
	return ClassPrivate
}

// Visibility is how much of one component a viewer is shown. What each
// level keeps is the view's business (its form); whether a component is
// shown whole, limited, as busy time or not at all is decided here only.
type Visibility uint8

const (
	VisFull    Visibility = iota // as stored (a view may still drop alarms)
	VisLimited                   // what, when and where, no details
	VisBusy                      // its time only, SUMMARY:Busy
	VisHidden                    // not at all
)

// Viewer is who reads a calendar object, as far as privacy goes.
type Viewer uint8

const (
	// viewerNone, the zero value, sees nothing: a view that forgot to say
	// who reads shows nothing rather than everything.
	viewerNone Viewer = iota
	// ViewerAll sees objects as stored: the owner, a read-write sharee,
	// a read-only sharee the owner shows private events to.
	ViewerAll
	// ViewerSharee is a read-only sharee.
	ViewerSharee
	// ViewerFeedFull, ViewerFeedLimited and ViewerFeedBusy are the
	// subscribers of a public link of the full, limited and busy tier.
	ViewerFeedFull
	ViewerFeedLimited
	ViewerFeedBusy
)

// policy is the one table of who sees what of which class; its columns
// are PUBLIC, CONFIDENTIAL and PRIVATE.
var policy = [...][3]Visibility{
	viewerNone:        {VisHidden, VisHidden, VisHidden},
	ViewerAll:         {VisFull, VisFull, VisFull},
	ViewerSharee:      {VisFull, VisBusy, VisHidden},
	ViewerFeedFull:    {VisFull, VisBusy, VisHidden},
	ViewerFeedLimited: {VisLimited, VisBusy, VisHidden},
	ViewerFeedBusy:    {VisBusy, VisBusy, VisHidden},
}

// Sees returns how much of a component of class c viewer v is shown. A
// viewer or class out of range sees nothing.
func (v Viewer) Sees(c Class) Visibility {
	if int(v) >= len(policy) || int(c) >= len(policy[v]) {
		return VisHidden
	}
	return policy[v][c]
}

// Outline is a calendar object read as content lines, for the views that
// copy the client's lines rather than decode and re-encode them: its
// logical lines (unfolded, blank ones dropped) and its top-level
// components with their classes.
type Outline struct {
	Lines      []string
	Components []OutlineComponent
}

// OutlineComponent is one top-level component: Lines[From] is its BEGIN,
// Lines[To] its END.
type OutlineComponent struct {
	Name     string // upper case
	From, To int
	UID      string
	Master   bool // no RECURRENCE-ID
	// Class is the component's effective class: its own, or its
	// series' when that is more restrictive (ReadOutline). VTIMEZONEs are
	// ClassPublic whatever they say.
	Class Class
}

// Visibility is how much of c viewer v is shown. VTIMEZONEs are always
// shown: they tell a time zone the owner uses, not anything about an
// event.
func (c *OutlineComponent) Visibility(v Viewer) Visibility {
	if c.Name == CompTimezone {
		return VisFull
	}
	return v.Sees(c.Class)
}

// ReadOutline reads data line by line and classifies its top-level
// components. ok is false for data that is not line-parseable: its first
// line is not BEGIN:VCALENDAR, an END does not close the innermost BEGIN,
// it ends before END:VCALENDAR or has lines after it. Stored objects
// passed ValidateObject and are all line-parseable.
//
// The class of a component is that of its own CLASS properties (not a
// VALARM's or another subcomponent's; with several, the most restrictive
// wins). A series is never more visible than its master: a component
// with a RECURRENCE-ID gets the class of the master of its UID when that
// is more restrictive than its own. So a private master takes its
// overrides with it (an orphaned override would show that a recurring
// event exists, in a confusing form), and the overrides of a confidential
// master are busy time whether they carry no CLASS or CLASS:PUBLIC, which
// many clients write on every component: neither is the owner opening one
// instance. An override more restrictive than its master hides or reduces
// that instance only; an override without a master has its own class.
func ReadOutline(data []byte) (o *Outline, ok bool) {
	rd := contentline.NewReader(string(data))
	o = &Outline{Lines: make([]string, 0, bytes.Count(data, []byte{'\n'})+1)}
	var (
		stack  []string // names of the open components
		closed bool     // END:VCALENDAR seen
	)
	for {
		line, _, more := rd.Next()
		if !more {
			break
		}
		if strings.TrimSpace(line) == "" {
			continue // Parse skips empty lines, and allows blanks at the end
		}
		if closed {
			return nil, false
		}
		name, value := splitLine(line)
		switch {
		case asciiEqualFold(name, "BEGIN"):
			v := asciiUpper(value)
			if len(stack) == 0 && v != "VCALENDAR" {
				return nil, false
			}
			stack = append(stack, v)
			if len(stack) == 2 {
				o.Components = append(o.Components, OutlineComponent{Name: v, From: len(o.Lines), Master: true})
			}
		case len(stack) == 0:
			return nil, false
		case asciiEqualFold(name, "END"):
			// strings.EqualFold as in Parse, which accepts "END:X-ſ" for
			// BEGIN:X-S: what Parse accepts must be classified.
			if !strings.EqualFold(value, stack[len(stack)-1]) {
				return nil, false
			}
			if len(stack) == 2 {
				o.Components[len(o.Components)-1].To = len(o.Lines)
			}
			stack = stack[:len(stack)-1]
			closed = len(stack) == 0
		case len(stack) == 2:
			c := &o.Components[len(o.Components)-1]
			switch {
			case asciiEqualFold(name, "CLASS"):
				c.Class = max(c.Class, ParseClass(value))
			case asciiEqualFold(name, "UID"):
				if c.UID == "" {
					c.UID = value
				}
			case asciiEqualFold(name, "RECURRENCE-ID"):
				c.Master = false
			}
		}
		o.Lines = append(o.Lines, line)
	}
	if !closed {
		return nil, false
	}

	var masterClass map[string]Class
	for i := range o.Components {
		c := &o.Components[i]
		if c.Name == CompTimezone {
			c.Class = ClassPublic
			continue
		}
		if c.Master && c.Class > ClassPublic {
			if masterClass == nil {
				masterClass = make(map[string]Class)
			}
			masterClass[c.UID] = max(masterClass[c.UID], c.Class)
		}
	}
	for i := range o.Components {
		if c := &o.Components[i]; !c.Master && c.Name != CompTimezone {
			c.Class = max(c.Class, masterClass[c.UID])
		}
	}
	return o, true
}
