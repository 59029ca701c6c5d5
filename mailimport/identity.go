package mailimport

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
)

// headerKey returns the identity of a message, as imapsync knows it:
// its Message-ID and the Received trail, which tells apart the copies
// of one message that reached the mailbox twice. It reads the fields
// (those FETCH BODY.PEEK[HEADER.FIELDS (MESSAGE-ID RECEIVED)] returns,
// or a whole header): a hash of the Message-ID and Received fields in
// their order, names case-folded, folding undone and runs of white
// space made one space, so that the same message fetched from two
// servers, or stored with other line ends, has the same key. ok is false
// when the message has no Message-ID, or an empty one: its key is then
// its content's (contentKey).
func headerKey(header []byte) (key string, ok bool) {
	h := sha256.New()
	h.Write([]byte("almanac message identity v1\n"))
	hasID := false
	for _, f := range headerFields(header) {
		name := bytes.ToLower(f.name)
		var which byte
		switch string(name) {
		case "message-id":
			which = 'm'
		case "received":
			which = 'r'
		default:
			continue
		}
		value := normalizeSpace(f.value)
		if which == 'm' && len(value) > 0 {
			hasID = true
		}
		h.Write([]byte{which, ':'})
		h.Write(value)
		h.Write([]byte{'\n'})
	}
	if !hasID {
		return "", false
	}
	return "h" + hex.EncodeToString(h.Sum(nil)), true
}

// contentKey is the identity of a message without a Message-ID: the
// hash of its bytes.
func contentKey(sum []byte) string {
	return "c" + hex.EncodeToString(sum)
}

type headerField struct {
	name, value []byte
}

// headerFields splits an RFC 5322 header into its fields, unfolding
// continuation lines (RFC 5322 2.2.3). It stops at the first empty line;
// a line that is neither a field nor a continuation is skipped, as
// mail readers do.
func headerFields(header []byte) []headerField {
	var out []headerField
	for len(header) > 0 {
		line, rest, _ := bytes.Cut(header, []byte("\n"))
		header = rest
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if n := len(out); n > 0 {
				v := append(bytes.Clone(out[n-1].value), ' ')
				out[n-1].value = append(v, line...)
			}
			continue
		}
		name, value, found := bytes.Cut(line, []byte(":"))
		name = bytes.TrimRight(name, " \t")
		if !found || len(name) == 0 || bytes.ContainsAny(name, " \t") {
			continue
		}
		out = append(out, headerField{name: name, value: value})
	}
	return out
}

// normalizeSpace trims value and makes every run of white space one
// space.
func normalizeSpace(value []byte) []byte {
	return bytes.Join(bytes.Fields(value), []byte{' '})
}
