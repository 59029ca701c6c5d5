package carddav

import (
	"encoding/xml"
	"log/slog"
	"net/http"

	"almanac/internal/dav"
	"almanac/internal/davtree"
	"almanac/storage"
)

// AddressBooks is the address-book kind of the /dav/ tree (davtree.Kind):
// address-book homes, address books and address object resources.
type AddressBooks struct {
	store  storage.DAV
	logger *slog.Logger
}

// Options configures AddressBooks.
type Options struct {
	Logger *slog.Logger
}

// New returns the address-book kind; serve it with davtree.New. Requests
// must carry an authenticated account (auth.Middleware).
func New(store storage.DAV, opts Options) *AddressBooks {
	a := &AddressBooks{store: store, logger: opts.Logger}
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	}
	return a
}

var (
	rMultiget = dav.Name(dav.NSCardDAV, "addressbook-multiget")
	rQuery    = dav.Name(dav.NSCardDAV, "addressbook-query")
)

var spec = &davtree.Spec{
	Segment:      "addressbooks",
	StorageKind:  storage.KindAddressBook,
	DAVClass:     "addressbook",
	ResourceType: dav.Name(dav.NSCardDAV, "addressbook"),
	MediaType:    "text/vcard",
	Negotiated:   true,
	DataProp:     pAddressData,
	Multiget:     rMultiget,
	Reports:      []xml.Name{rQuery},
	HomeReports:  []xml.Name{rQuery},
	Noun:         "address book",
	Conditions: davtree.Conditions{
		ValidData:     dav.Name(dav.NSCardDAV, "valid-address-data"),
		SupportedData: condSupportedAddressData,
		NoUIDConflict: dav.Name(dav.NSCardDAV, "no-uid-conflict"),
		MaxSize:       pMaxResourceSize,
		LocationOK:    dav.Name(dav.NSCardDAV, "addressbook-collection-location-ok"),
	},
	CollectionLive: addressBookLive,
	PrincipalLive:  principalLive,
	HomeSet:        pAddressBookHomeSet,
}

// Spec describes address books to the tree.
func (a *AddressBooks) Spec() *davtree.Spec { return spec }

// Report serves addressbook-query, the one report besides the tree's.
func (a *AddressBooks) Report(w http.ResponseWriter, r *http.Request, t *davtree.Target, root xml.Name, body []byte) error {
	return a.query(w, r, t, body)
}

var _ davtree.Kind = (*AddressBooks)(nil)
