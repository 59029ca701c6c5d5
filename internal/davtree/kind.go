package davtree

import (
	"encoding/xml"
	"net/http"

	"almanac/internal/dav"
	"almanac/storage"
)

// Spec describes a kind of collection: the URL segment of its homes, its
// resource type, media type, conditions and reports. It is static. Its
// element names may be in any namespace: one the multistatus writer has
// no prefix for is declared where the name is written.
type Spec struct {
	// Segment names the homes: /dav/{Segment}/{user}/.
	Segment string
	// StorageKind is the storage.Collection Kind of the collections.
	StorageKind storage.Kind
	// DAVClass is the compliance class the DAV header advertises.
	DAVClass string
	// MkcolMethod is the kind's own creation method (MKCALENDAR), "" when
	// collections are created with extended MKCOL only.
	MkcolMethod string
	// ResourceType is the element besides DAV:collection in the
	// collections' resourcetype; extended MKCOL must name it.
	ResourceType xml.Name
	// MediaType of the members; a PUT with another Content-Type is 403
	// with Conditions.SupportedData.
	MediaType string
	// Negotiated: a GET's body depends on Accept (Kind.Represent), so
	// responses carry Vary: Accept for caches.
	Negotiated bool
	// DataProp is the REPORT property that carries a member's data.
	DataProp xml.Name
	// Multiget is the kind's multiget REPORT, served by the tree.
	Multiget xml.Name
	// Reports are the kind's other REPORTs, served by Kind.Report.
	Reports []xml.Name
	// HomeReports are those of Reports the kind also serves on its
	// home, over every collection in it (RFC 4791 7.2, RFC 6352 8.2):
	// the queries. Multiget is always served on the home too.
	HomeReports []xml.Name
	// Noun names a collection in messages: "calendar", "address book".
	Noun string
	// Conditions are the kind's precondition elements.
	Conditions Conditions
	// CollectionLive are the kind's computed collection properties, in
	// allprop order, after the ones every collection has.
	CollectionLive []xml.Name
	// PrincipalLive are the computed properties the kind adds to
	// principals (PrincipalProps returns their values).
	PrincipalLive []xml.Name
	// HomeSet is the principal property that names the kind's home; it
	// is left out of other users' principals.
	HomeSet xml.Name
}

// Conditions are the precondition elements a kind's RFC names for the
// same checks (RFC 4791 5.3.2.1, RFC 6352 6.3.2.1).
type Conditions struct {
	ValidData     xml.Name // the body is not valid data of the media type
	SupportedData xml.Name // wrong media type or version
	NoUIDConflict xml.Name // another member has the UID
	MaxSize       xml.Name // the body is too large
	LocationOK    xml.Name // collections of this kind cannot be created here
}

// Kind is what one type of collection adds to the tree: caldav and
// carddav implement it. Everything common (resolution, PROPFIND,
// PROPPATCH, MKCOL, GET/PUT/DELETE with conditions, MOVE/COPY, multiget,
// sync-collection) is the tree's; a Kind answers only what differs.
type Kind interface {
	Spec() *Spec
	// PrincipalProps are the kind's principal properties for acc.
	PrincipalProps(acc *storage.Account) []dav.Prop
	// CollectionProp returns a property of Spec.CollectionLive for c.
	CollectionProp(c *storage.Collection, n xml.Name) (dav.Prop, bool)
	// CheckProp validates a value set on a collection by PROPPATCH
	// (creating false) or at creation (creating true). ok false refuses
	// it with the precondition cond (zero: cannot-modify-protected-
	// property). Names it does not know are dead properties: accept them.
	CheckProp(p *dav.RawXML, creating bool) (cond xml.Name, ok bool)
	// Prepare completes a collection about to be created from its
	// set-props (moving values that have typed fields out of Props).
	Prepare(c *storage.Collection)
	// Ingest validates a PUT body for collection c and returns the write
	// without owner, collection, name and condition, which the tree
	// fills. Errors are *dav.Error preconditions.
	Ingest(c *storage.Collection, data []byte) (storage.PutObject, error)
	// Admits checks that an existing member may be moved or copied into
	// collection c.
	Admits(c *storage.Collection, meta *storage.ObjectMeta) error
	// ContentType is the getcontenttype of a member.
	ContentType(meta *storage.ObjectMeta) string
	// Represent returns the body and Content-Type a GET of obj answers
	// (content negotiation); the stored bytes unless the request asks for
	// another form.
	Represent(r *http.Request, obj *storage.Object) (contentType string, body []byte, err error)
	// DataRequest parses how a REPORT body asks for Spec.DataProp; nil
	// means the stored bytes. On a home it is asked once, for the home;
	// a ScopedRenderer then gives each collection's.
	DataRequest(r *http.Request, t *Target, body []byte) (Renderer, error)
	// Redact returns a member as a read-only sharee may see it: visible
	// false hides it; changed false means out is data.
	Redact(data []byte) (out []byte, visible, changed bool)
	// Report serves one of Spec.Reports on t: a collection or member,
	// or for Spec.HomeReports also the home (Target.QueryScope).
	Report(w http.ResponseWriter, r *http.Request, t *Target, root xml.Name, body []byte) error
}

// Renderer renders a member's data property as a REPORT asked for it.
// It cannot fail: data it cannot render is sent as stored.
type Renderer interface {
	Render(data []byte) []byte
}

// ScopedRenderer is a Renderer whose rendering depends on the collection
// a member is in (a calendar's time zone reads its floating times). A
// report over several collections (a multiget on the home) asks the one
// Renderer of the request for each collection's, so that what it keeps
// for the whole request (a work budget) stays one.
type ScopedRenderer interface {
	Renderer
	// For returns the Renderer for members of t's collection.
	For(t *Target) Renderer
}

// LimitedRenderer is a Renderer whose answers limits can cut short (a
// calendar expansion stopped at max-instances or at its work budget).
// The report then says so (ReportCut).
type LimitedRenderer interface {
	Renderer
	// RenderLimited is Render that also reports whether the answer
	// is incomplete.
	RenderLimited(data []byte) (out []byte, cut bool)
}
