// Package clientsetup tells mail, calendar and contacts apps how to
// connect, so that an address and a password are all a user types: the
// discovery documents apps fetch by themselves, the settings and Apple
// configuration profiles users fetch, the DNS records operators publish
// (DNSRecords) and the probes of `almanac doctor` (Doctor).
//
// # Where mail is served
//
// almanac does not serve IMAP or SMTP; the operator says where they are
// (Config: serve's -imap-* and -submission-* flags, distinct from
// -smtp-*, which is almanac's own outgoing mail). A Mail Service may
// name its own servers (storage.MailService.IMAP, Submission; PUT
// /api/v1/services/{id}/client-settings, owner only); a service's
// endpoint replaces the server's as a whole, so a port never mixes with
// another host's security. Security defaults to implicit TLS and ports
// to 993 and 465, as RFC 8314 3.3 and 7 recommend to clients. Hosts are
// checked to the letter (CheckHost: ASCII labels, an IDN in its xn--
// form, no port): they are written into public XML, property lists and
// zone files. Where no server is known, documents say so rather than
// guess: autoconfig 404, Autodiscover error 501, settings without imap
// and smtp, a profile 409.
//
// # Public discovery (no login)
//
//   - Mozilla autoconfig, clientConfig version 1.1 (Thunderbird, K-9 Mail
//     and Thunderbird for Android, Evolution, FairEmail), GET at
//     /.well-known/autoconfig/mail/config-v1.1.xml on the mail domain
//     and /mail/config-v1.1.xml on autoconfig.<domain>. With
//     emailaddress the answer is that mailbox's; without, the domain's
//     from the Host (behind a trusted proxy, the one it names), with the
//     %EMAILADDRESS% placeholder. IMAP, SMTP and the top-level calendar
//     and addressBook entries Thunderbird reads, with
//     password-cleartext (AUTH PLAIN over the TLS the document asks
//     for) and http-basic.
//   - POX Autodiscover (MS-OXDSCLI), POST /autodiscover/autodiscover.xml
//     in any case (Outlook capitalises it): an "email" account with
//     IMAP and SMTP Protocol elements. Errors are Exchange's: 500 for an
//     unknown address, 501 for an address without mail settings, 601
//     for another provider's schema (ActiveSync), with HTTP 200 as
//     Exchange sends them; 600 for a request that is not one, with 400
//     (413 past MaxAutodiscoverRequest, 16 KiB: a request is a few
//     hundred bytes). Go's XML decoder expands no entity but the five
//     predefined ones, so a DOCTYPE cannot make it do more work.
//
// Both reveal only what the domain publishes anyway: its servers and
// domain names, and whether a mailbox exists, which SMTP's RCPT TO tells
// as readily. An unknown domain or address, an alias (it has no login of
// its own and may deliver to anyone's mailbox) and a quoted local part
// that is no dot-atom get the protocol's not-found answer and nothing of
// anyone's; nothing the client sent is echoed. The login in an answer is
// the mailbox's own address at the service's own domain, however the
// user spelled it (case, alias domain, Unicode), since that is the name
// Dovecot and Postfix know (mailbox.Export). The calendar and contacts
// login in autoconfig is the address typed (%EMAILADDRESS%): which
// account a mailbox is linked to is not public, so it is right when the
// account's login is that address, as is usual, and otherwise the app
// asks; the settings and profiles below, behind a login, name it.
//
// # Addresses from clients
//
// ParseAddress reads autoconfig's emailaddress and Autodiscover's
// EMailAddress, which anyone may send: RFC 5322 addr-spec with RFC 6532
// UTF-8, a dot-atom or quoted-string local part (a quoted dot-atom is
// that dot-atom, RFC 5321 4.1.2), no comments, no domain literals, RFC
// 5321 4.5.3.1 length limits (at most 512 bytes read). Any control
// character, CR and LF included, is refused, so no value can break out
// of a header or a line. Unicode domain labels are lower-cased and
// Punycode-encoded (RFC 3492, RFC 5891 4.4) by the small encoder here,
// to match the A-labels Mail Services store without a new dependency;
// the UTS 46 mapping (width folding, NFC) is not applied, so a label
// spelled another way finds nothing, which is the safe way to be wrong.
// In autoconfig's query a "+" is a plus (anna+news@), not a form
// encoding's space, which no unquoted address holds; a value that is not
// valid percent-encoding is 400, not ignored.
//
// # Settings and profiles (login)
//
// GET /api/v1/mailboxes/{address}/settings and /api/v1/account/settings
// answer host, port, security, username and which password (the
// mailbox's for IMAP and SMTP, the account's or an app password for
// DAV) — never a secret. A mailbox's are shown to accounts linked to it,
// whatever their rights, and to its organization's owner and managers;
// anyone else gets the 404 of a mailbox that does not exist.
//
// profile.mobileconfig is an unsigned configuration profile with
// com.apple.mail.managed, com.apple.caldav.account and
// com.apple.carddav.account payloads. Its PayloadIdentifier is
// <reversed public host>.almanac.<account handle>, plus
// .mail-<hash of the address> for a mailbox, and every PayloadUUID is a
// version 5 UUID of its identifier, so that the same profile downloads
// to the same bytes and installing it again replaces it (handles never
// change, logins may). The mail password is never in it (almanac keeps
// only a hash); POST embeds a fresh app password of scope dav in the
// DAV payloads, so the device asks only for the mailbox password. An
// app password cannot make another, and a refused request makes none.
// Profiles are not signed: signing needs a certificate the operator
// would have to hand to almanac, and an unsigned profile installs with
// an "unverified" note.
//
// # DNS and the doctor
//
// DNSRecords suggests, per domain and alias domain, RFC 6186 SRV
// (_imaps._tcp or _imap._tcp, _submission._tcp) or RFC 8314 5.1
// _submissions._tcp, RFC 6764 SRV and TXT path= for _caldavs._tcp and
// _carddavs._tcp, autoconfig and autodiscover CNAMEs and Outlook's
// _autodiscover._tcp SRV, with notes where something cannot be
// suggested. Doctor connects as a client would, with the system's
// authorities (or -ca-file), every probe bounded by Timeout: IMAP and
// submission must answer, offer TLS (at once or by STARTTLS) with a
// certificate valid for the host, and take a login (no LOGINDISABLED,
// AUTH offered); /.well-known/caldav and carddav on the public URL's
// host must redirect to /dav/ there, where almanac asks for a login. It
// logs in nowhere and says in words what is wrong.
package clientsetup
