// Package vcard is almanac's lenient-but-safe vCard layer for CardDAV:
// parsing untrusted address data (RFC 6350 3; RFC 2425/2426 for 3.0),
// checking address object resources for the PUT handler (RFC 6352 5.1,
// 6.3.2.1), and converting between vCard 3.0 and 4.0 for version
// negotiation (RFC 6352 6.3.2.1 supported-address-data, 10.4
// address-data version).
//
// # Model
//
// The package has its own small model, not go-vcard's. go-vcard's Card is
// a map, so it loses property order and how each line was written, its
// decoder drops malformed lines without an error, and its encoder can
// write part of a card before it fails. A Card here is the ordered list of
// content lines; each Prop keeps its group, upper-cased name, ordered
// parameters, the value as written (escapes kept) and Raw, the line as
// received with folding undone. Encode writes Raw for untouched lines, so
// a converted card keeps the spelling of every line no rule changed.
// go-vcard is not imported.
//
// # Parse (RFC 6350 3.1-3.3)
//
// Parse is an iterative line scanner with a recover as a backstop; it
// never hands back a partial card. Every refusal is a *ValidationError
// with a line number.
//
//   - Size: more than MaxSize bytes (default 10 MiB, 0 = no cap) is
//     TooLarge (CARDDAV:max-resource-size).
//   - A leading UTF-8 byte order mark is passed over (contentline), as
//     sabre/vobject does (its issue 175: Android's exports); Radicale's
//     python-vobject refuses it. RFC 6350 3.1 says UTF-8 and nothing of a
//     BOM; RFC 3629 6 reads a leading U+FEFF as a signature. The bytes are
//     stored and served by GET as sent; address-data in a multistatus and
//     the /vcf/ feed leave the BOM out (davtree, publish), as inside
//     another document it would read as a ZERO WIDTH NO-BREAK SPACE.
//     Convert writes a new card without it. A BOM anywhere else, two of
//     them or a UTF-16 one are refused.
//   - Lines end in CRLF or, leniently, a bare LF (scripts and Unix tools
//     write it; sabre/vobject and python-vobject read it). Folding (a line
//     break followed by one space or tab) is undone by removing exactly
//     that character; blank lines are skipped. Such cards are stored and
//     served as sent; what the server writes (conversion, partial
//     address-data) has CRLF.
//   - Each unfolded line must be valid UTF-8 (RFC 6350 3.1) — checked after
//     unfolding, as RFC 6350 3.2 asks readers to restore a character a
//     naive writer folded in two — and contain no control characters but
//     HTAB (a CR is only a line end).
//   - Content lines are [group "."] name *(";" param) ":" value. Group,
//     property and parameter names are ALPHA, DIGIT and "-" and,
//     leniently, "_". Parameter values are quoted strings or text without
//     DQUOTE, ";", ":" and ","; commas separate several values. A line
//     that ends inside a parameter, a quote inside an unquoted value and
//     text after a closing quote are errors. A bare parameter without "="
//     (TEL;CELL:..., a vCard 2.1 habit) is accepted as TYPE=CELL. RFC 6868
//     caret escapes are decoded (^n a line break, ^' a double quote, ^^ a
//     caret, any other caret left as written; contentline.DecodeParam),
//     in 3.0 cards too, as sabre/vobject does: RFC 6868 updates RFC 6350
//     only, but RFC 2426 has no other way to put a double quote or a line
//     break in a parameter, and a converted card must mean the same. So
//     addressbook-query's param-filter and Convert see what the client
//     meant; ContentLine encodes the values again, and Raw keeps the line
//     as written.
//   - Exactly one vCard: the first line is BEGIN:VCARD, there is no
//     nested BEGIN, END:VCARD closes it and only whitespace follows.
//     BEGIN and END take no group or parameters.
//
// # Validate (RFC 6352 5.1, 6.3.2.1)
//
//   - Parse's rules (InvalidData → CARDDAV:valid-address-data).
//   - Exactly one VERSION, 3.0 or 4.0. Another version is UnsupportedData
//     (CARDDAV:supported-address-data, as the collection advertises 3.0
//     and 4.0 only); vCard 2.1 gets its own reason, also when its
//     quoted-printable lines make it unparsable. VERSION may be anywhere:
//     RFC 6350 wants it first, clients do not always comply.
//   - Exactly one non-empty UID (InvalidData). vCard makes UID optional,
//     but RFC 6352 5.1 has the server detect two resources for one contact
//     by UID (CARDDAV:no-uid-conflict), which needs one.
//   - At least one FN (RFC 6350 6.2.1 for 4.0, RFC 2426 3.1.1 for 3.0). Its
//     value may be empty: the property is what both RFCs require, and
//     clients write an empty FN for contacts that only have an ORG.
//   - N is not required, although RFC 2426 3.1.2 requires it for 3.0:
//     nothing here depends on it, RFC 6350 dropped the requirement, and
//     clients (groups in particular) omit it. Convert adds an N when it
//     writes 3.0.
//
// Info reports UID as written, the version, KIND (or Apple's
// X-ADDRESSBOOKSERVER-KIND; "individual" by default) lower-cased, and the
// first FN's text.
//
// # Split: a file into cards (RFC 6352 5.1)
//
// Split cuts a vCard file (contact apps export one card after another)
// into its cards, each kept byte for byte as the file has it, since
// CardDAV stores what the client sent. Structure and content lines are
// checked; a card with a bad line is refused alone, vCard 2.1 for its
// version. A card without UID gets one derived from its lines but REV
// (DeriveUID), added as a UID line before END:VCARD, so that importing
// the file again finds it. A card repeated byte for byte is dropped and
// counted; different cards with one UID are all refused, as one address
// book holds one object per UID (RFC 6352 6.3.2.1) and which is meant is
// unknown.
//
// # Convert (RFC 2426 ↔ RFC 6350)
//
// Convert returns the input itself when it already is the target version.
// Otherwise it rewrites these and copies every other line unchanged:
//
//   - VERSION. In 4.0 it is moved right after BEGIN:VCARD (RFC 6350 3.3).
//   - TYPE on every property but PHOTO, LOGO, SOUND and KEY: repeated TYPE
//     parameters and quoted lists are merged into one TYPE; 4.0 gets
//     lower-case values (TYPE=work,voice), 3.0 upper-case ones
//     (TYPE=WORK,VOICE). The 3.0 value "pref" becomes PREF=1 and PREF=1
//     becomes TYPE=PREF; other PREF values, which 3.0 cannot say, stay as
//     PREF (an iana-token parameter to a 3.0 reader). Values that 4.0 did
//     not keep (internet, msg, postal, ...) are kept in the other case.
//   - PHOTO, LOGO, SOUND, KEY: 3.0 inline data (ENCODING=b or BASE64, the
//     format as TYPE=JPEG) ↔ a 4.0 data: URI (data:image/jpeg;base64,...).
//     JPEG ↔ image/jpeg for images, WAVE ↔ audio/wave for sounds, X509 ↔
//     application/pkix-cert and PGP ↔ application/pgp-keys for keys; a 3.0
//     image without a TYPE gets its type from its first bytes (JPEG, PNG,
//     GIF, WebP, BMP). A 4.0 data: URI in percent-encoding becomes base64.
//     3.0 VALUE=uri ↔ a 4.0 URI with MEDIATYPE. 3.0 data without ENCODING
//     or VALUE=uri, 4.0 lines that still carry a 3.0 ENCODING, and 4.0
//     VALUE=text keys stay as they are.
//   - Groups: Apple's 3.0 X-ADDRESSBOOKSERVER-KIND and
//     X-ADDRESSBOOKSERVER-MEMBER ↔ 4.0 KIND and MEMBER (all values), unless
//     the card already has the target's property, in which case both stay.
//   - BDAY: the year-less birthday, 4.0 --0415 ↔ Apple's 3.0
//     BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-15 (understood by Apple
//     Contacts and DAVx5; 3.0 has no year-less date). The 3.0 --04-15 and
//     --0415 forms are read too. Full dates and date-times move between
//     extended (1980-04-15, 3.0's usual form) and basic (19800415, the only
//     form RFC 6350 allows). Other forms (--04, VALUE=text) stay.
//   - TEL: a 4.0 tel: URI (VALUE=uri) becomes 3.0 text; one with URI
//     parameters (;ext=) stays.
//   - N: a 3.0 card without N gets "N:;;;;" after FN, or the group's name
//     for KIND:group (what Apple's groups carry).
//
// Everything else — properties or parameters that do not exist in the
// target (3.0 LABEL, AGENT, CLASS, NAME; 4.0 GENDER, ANNIVERSARY, ALTID,
// PID, LANG), ENCODING=QUOTED-PRINTABLE, CHARSET, x-properties, groups
// such as Apple's item1.X-ABLabel — is kept as it is: readers ignore what
// they do not know, and dropping it would lose data on a round trip. So a
// 3.0 → 4.0 → 3.0 round trip keeps the meaning of every line (case and
// spelling of rewritten ones may change).
//
// Output is written by Encode: CRLF line ends and folding at 75 octets
// without splitting a UTF-8 sequence. It is not checked against MaxSize;
// a data: URI is about 30 octets longer than the same data inline.
//
// # Departures from RFC 6350 / RFC 2426 on ingest
//
// Deliberate, because clients write them and their meaning is plain (see
// above): a leading UTF-8 BOM; bare LF line ends; "_" in names; bare
// parameters (TEL;CELL); VERSION anywhere in the card; an empty FN; no N
// in 3.0; RFC 6868 decoding in 3.0. UID is required although vCard makes
// it optional (RFC 6352 5.1 needs it). Everything accepted is stored as
// the client sent it.
//
// Left out: 3.0 LABEL ↔ 4.0 ADR;LABEL=, GEO's geo: URI form, 4.0
// ANNIVERSARY ↔ Apple's X-ABDATE, vCard 2.1 input, and RFC 6350
// value-type checks beyond what conversion reads.
package vcard
