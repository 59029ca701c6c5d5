package carddav

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"almanac/internal/dav"
	"almanac/internal/davtree"
	"almanac/internal/vcard"
	"almanac/storage"
)

// Ingest validates an address object resource (RFC 6352 5.1, the 6.3.2.1
// preconditions): exactly one vCard 3.0 or 4.0 with a UID and the FN its
// version requires. The stored bytes are the client's, so nothing is
// re-encoded and a card the parser would have to repair is refused, not
// silently altered.
func (a *AddressBooks) Ingest(c *storage.Collection, data []byte) (storage.PutObject, error) {
	info, err := vcard.Validate(data)
	if err != nil {
		var ve *vcard.ValidationError
		if errors.As(err, &ve) {
			// Every kind, max-resource-size included, is a precondition:
			// 403 with its element (RFC 6352 6.3.2.1).
			return storage.PutObject{}, &dav.Error{Status: http.StatusForbidden, Condition: dav.Name(dav.NSCardDAV, ve.Kind.Precondition()), Message: ve.Reason, Err: err}
		}
		return storage.PutObject{}, &dav.Error{Status: http.StatusForbidden, Condition: spec.Conditions.ValidData, Message: "invalid vCard data", Err: err}
	}
	return storage.PutObject{
		UID:         info.UID,
		Component:   "VCARD",
		ContentType: "text/vcard",
	}, nil
}

// Admits lets any vCard into any address book: they all take 3.0 and 4.0.
func (a *AddressBooks) Admits(*storage.Collection, *storage.ObjectMeta) error { return nil }

// Represent serves a GET: the stored bytes, unless the Accept header asks
// for the other vCard version (NegotiateVersion), which is then converted.
// The entity tag stays the stored one, so that the If-Match of a client
// that read a converted card and writes it back matches; Vary tells caches
// the body depends on Accept. A card that cannot be converted is served as
// stored, in its own version, rather than not at all.
func (a *AddressBooks) Represent(r *http.Request, obj *storage.Object) (string, []byte, error) {
	w := r.Header.Values("Accept")
	version, ok := NegotiateVersion(strings.Join(w, ","))
	if !ok {
		// RFC 6352 5.1.1.1 names the element; the status is HTTP's for
		// an Accept nothing satisfies (RFC 9110 15.5.7), which RFC 6352,
		// unlike RFC 4791 1.3, leaves to the server.
		return "", nil, dav.Precondition(http.StatusNotAcceptable, condAddressDataConversion, "address objects are available as text/vcard version 3.0 or 4.0")
	}
	if version == "" {
		return a.ContentType(&obj.ObjectMeta), obj.Data, nil
	}
	out, err := vcard.Convert(obj.Data, version)
	if err != nil {
		a.logger.WarnContext(r.Context(), "stored vCard does not convert; serving it as stored", "object", obj.Name, "err", err)
		return a.ContentType(&obj.ObjectMeta), obj.Data, nil
	}
	return "text/vcard; charset=utf-8; version=" + version, out, nil
}

// DataRequest parses the address-data request of a REPORT body.
func (a *AddressBooks) DataRequest(r *http.Request, t *davtree.Target, body []byte) (davtree.Renderer, error) {
	ad, err := ParseAddressDataRequest(body)
	if err != nil || ad.Plain() {
		return nil, err
	}
	return &renderer{req: ad, logger: a.logger, ctx: r.Context()}, nil
}

// renderer renders address-data for one REPORT; a card it cannot render
// is sent as stored (never a partial rendering) and logged.
type renderer struct {
	req    *AddressDataRequest
	logger *slog.Logger
	ctx    context.Context // the request's, for the log
}

func (r *renderer) Render(data []byte) []byte {
	out, err := r.req.Render(data)
	if err != nil {
		r.logger.WarnContext(r.ctx, "stored vCard does not render; sending it as stored", "err", err)
		return data
	}
	return out
}

// Redact shows cards as they are: vCard has no privacy class that
// clients set (3.0's CLASS is unused in practice).
func (a *AddressBooks) Redact(data []byte) ([]byte, bool, bool) { return data, true, false }
