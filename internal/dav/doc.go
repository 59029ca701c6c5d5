// Package dav is almanac's WebDAV protocol core. It knows nothing of
// calendars, address books, storage engines or users: the caldav and
// carddav packages describe their resources to it and it does the
// protocol work.
//
// What it implements:
//
//   - RFC 4918 9.1 PROPFIND request parsing (prop, allprop, propname,
//     include) and 9.2 PROPPATCH (propertyupdate, ordered set/remove);
//     13 multistatus written as a stream, so a Depth: 1 listing of a large
//     collection never holds the whole response in memory.
//   - RFC 4918 10.2 Depth parsing. Depth: infinity on PROPFIND is refused
//     with 403 and DAV:propfind-finite-depth (RFC 4918 9.1, 16): a full
//     tree walk is a denial-of-service lever and no CalDAV client needs it.
//   - RFC 9110 13.1 conditional requests: If-Match (strong comparison,
//     "*"), If-None-Match (weak comparison, "*"), lists, weak tags, and
//     If-Modified-Since / If-Unmodified-Since for reads.
//   - RFC 4918 10.4 If header parsing (ParseIf): tagged and untagged
//     lists, Not, state tokens and entity tags; a header off the grammar,
//     or with more than MaxIfConditions (32) conditions, each of which may
//     cost a lookup, is 400. Evaluation is the tree's (internal/davtree).
//   - RFC 4918 16 preconditions as DAV:error bodies, rendered by the one
//     error renderer WriteError; internal error text is logged, never sent.
//   - RFC 6578 sync-collection request parsing and sync-token URIs.
//   - RFC 3253 3.8 DAV:expand-property (expand.go), which RFC 4791 7.1
//     and RFC 6352 8.1 require: ParseExpandProperty reads the tree of
//     DAV:property elements (name required and an XML name, since it is
//     written back as an element; namespace "DAV:" by default; the XML
//     namespaces refused; other elements ignored, RFC 4918 17; a name
//     repeated at one level merged into one). Expander answers it: in
//     the value of a property asked with children, every DAV:href, at
//     any depth and in DAV: under any prefix, becomes a DAV:response
//     with those children's values, expanded in turn; the rest of the
//     value is kept byte for byte. Expansion multiplies an answer by the
//     hrefs of each level, so it is bounded three ways: MaxExpandDepth,
//     4 levels of DAV:property (clients nest 2), deeper is 403 with
//     almanac's expand-property-depth condition (RFC 3253 sets no limit);
//     the request's distinct properties count against MaxRequestProps and
//     MaxRequestPropBytes over the whole tree (413); and one answer gets
//     at most MaxExpandResponses (10,000, MaxRequestHrefs: each is an href
//     answered in full) responses from expansion (see below for what
//     happens past it). A response already rendered for an href and the
//     same nested properties is reused, so each is looked up once per
//     request.
//   - Dead property values (RawXML) keep what RFC 4918 4.3 has servers
//     preserve: names, attributes and character children of every
//     element, each element declaring the namespaces it uses, so a value
//     replays on its own in any answer; and the language (14.26): the
//     xml:lang in scope on the property element, its own or one on
//     DAV:prop, DAV:set or the root, is stored with the value (Stored,
//     ParseStored) and written on the property element by PROPFIND.
//     Comments and processing instructions are dropped and CDATA sections
//     become escaped text, as 4.3.1 allows.
//   - Namespace well-formedness (Namespaces in XML 1.0, third edition),
//     which encoding/xml does not check: a prefix bound to "" (section 5;
//     undeclaring prefixes is XML 1.1, which encoding/xml does not read),
//     a prefix used where it is not declared (section 5), and the xml and
//     xmlns prefixes and namespace names used other than as reserved
//     (section 3) are a 400 for every request body. encoding/xml would
//     read bar:x under xmlns:bar="" as a name in no namespace and an
//     undeclared undecl:x as one in the namespace "undecl", so such a
//     PROPPATCH would store a property the client never named.
//   - RFC 8144 / RFC 7240 Prefer: return=minimal on PROPFIND.
//   - Safe XML ingest: bodies are size-capped, DOCTYPE declarations (and so
//     entity definitions) are refused and element nesting is bounded,
//     each with a 400 or 413 answer. Documents that encoding/xml accepts
//     but stricter client parsers would not (duplicate attributes, local
//     names that are not NCNames) are refused too, because captured dead
//     properties are replayed verbatim in later responses.
//   - Bounded requests (limits.go). A name a request lists comes back
//     once per resource, so lists of names are amplifiers: 80,000 getetag
//     elements in one PROPFIND made a 25.8 GB answer, one 2.3 MB href
//     repeated 5,000 times in a multiget 14.9 GB. Every prop list
//     (PROPFIND prop and include, PROPPATCH and MKCOL/MKCALENDAR
//     set/remove, a REPORT's DAV:prop through PropNames) keeps each name
//     once, and multiget hrefs (Hrefs) each href once. Beyond the caps the
//     answer is 413 (RFC 9110 15.5.14; RFC 4918 has no precondition for
//     it, and DAV:number-of-matches-within-limits is about result sets)
//     with a DAV:error holding almanac's too-many-properties or
//     too-many-hrefs condition and a message naming the limit:
//     MaxRequestProps, 256 distinct properties (Apple's calendar-home
//     listing, the longest real one, names about fifty);
//     MaxRequestPropBytes, 16 KiB of names together (a Depth: 1 answer
//     repeats them for every member); MaxRequestHrefs, 10,000 distinct
//     hrefs (DAVx5 asks for 10 at a time, but vdirsyncer for every
//     changed member of a collection at once, and 10,000 is about where
//     MaxXMLBody ends such a request anyway). PROPPATCH instructions stay in order, repeats included
//     (RFC 4918 9.2); only the distinct names are capped. With the caps
//     and streaming, an answer is bounded by what the request may name
//     times what is stored: each member at most once, with each
//     property at most once.
//   - Path segments (SplitPath) longer than MaxSegmentBytes, 1024 bytes
//     decoded, are 414 (RFC 9110 15.5.15) before any lookup: storage
//     keys have limits (bbolt: 32 KiB), 255 bytes is what file systems
//     and Nextcloud allow, and four times that leaves room for names
//     other servers gave out. Log lines carry at most 1 KiB of a path.
//   - Character data XML 1.0 cannot carry (control characters other than
//     tab, LF and CR; invalid UTF-8; U+FFFE/U+FFFF) is written as U+FFFD,
//     so one bad stored value cannot break a whole multistatus. CR is
//     written as &#13; so that it survives end-of-line normalization.
//
// Where the core departs from an RFC on purpose:
//
//   - RFC 3253 3.8 replaces every DAV:href of an expanded value. Past
//     MaxExpandResponses in one answer the remaining hrefs stay hrefs,
//     and the response of each resource whose values were cut says so:
//     a DAV:error holding DAV:number-of-matches-within-limits and a
//     DAV:responsedescription after its propstats (RFC 4918 14.24
//     allows both there), as RFC 5323 5.6 reports truncated results. A
//     second response for the same href, as other reports add for the
//     request-URI, would make clients that index responses by href lose
//     the first.
//   - RFC 3253 3.8 sets no limit on nesting; more than MaxExpandDepth
//     levels of DAV:property are refused (403).
//   - RFC 6578 6.1 makes DAV:sync-level required; a sync-collection
//     without it is taken as level 1, as Radicale and sabre/dav do,
//     because older iOS and Apple's own test clients leave it out. A
//     sync-level that is present must be 1 (400 otherwise; infinite is
//     403 DAV:supported-sync-level, as 3.3 allows).
//   - RFC 4918 4.3 says servers SHOULD preserve the prefixes inside a
//     dead property value (for vocabularies such as XPath that name
//     elements by prefix in text). They are not: encoding/xml's decoder
//     does not report them, and every element of a stored value is
//     written with its own prefix and declaration instead (x for the
//     element, a1, a2, ... for namespaced attributes). No CalDAV or
//     CardDAV property puts prefixes in text.
//
// The multistatus writer writes XML by hand with fixed prefixes for the
// namespaces CalDAV clients use (D, C, CR, CS, ICAL): encoding/xml's
// reflection encoder was the bottleneck of a 10,000-member PROPFIND, and
// fixed prefixes keep responses small and readable. A multistatus also
// declares DAV: as its default namespace, as Radicale's do, and writes
// its own elements and DAV: property names without a prefix
// (<response><href>...): a week's getetag answer at 100,000 events is a
// tenth smaller, and the client reading it spends a tenth less. Values
// rendered ahead (resourcetype, privileges, hrefs in properties) keep
// the D prefix, which stays declared. A captured (dead) property value
// was read with no default namespace, so its element resets the default
// (xmlns="") and names itself with a prefix, and expand-property's
// responses inside values declare DAV: again: every name means in the
// answer what it meant when stored (TestMultistatus_StoredValuesKeepNoNamespace).
// Error bodies (RFC 4918 16) keep the D prefix throughout.
package dav
