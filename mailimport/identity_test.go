package mailimport

import (
	"bytes"
	"strings"
	"testing"
)

func TestHeaderKey(t *testing.T) {
	base := "Message-ID: <abc@example.org>\r\nReceived: from a by b; Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n"
	key, ok := headerKey([]byte(base))
	if !ok || key == "" {
		t.Fatalf("headerKey(%q) = %q, %v", base, key, ok)
	}
	same := []string{
		// Other line ends, case and folding.
		strings.ReplaceAll(base, "\r\n", "\n"),
		"message-id:   <abc@example.org>  \r\nRECEIVED: from a\r\n\tby b;  Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n",
		// Other fields, and what follows the header, do not count.
		"Subject: hello\r\n" + base + "body text\r\n",
		// No blank line at the end (a header section cut short).
		strings.TrimSuffix(base, "\r\n"),
	}
	for _, s := range same {
		if k, ok := headerKey([]byte(s)); !ok || k != key {
			t.Errorf("headerKey(%q) = %q, %v; want the key of %q", s, k, ok, base)
		}
	}
	differ := []string{
		"Message-ID: <abd@example.org>\r\nReceived: from a by b; Mon, 1 Jan 2024 10:00:00 +0000\r\n",
		// The same message delivered twice has another Received trail.
		"Message-ID: <abc@example.org>\r\nReceived: from a by c; Mon, 1 Jan 2024 10:00:05 +0000\r\n",
		"Message-ID: <abc@example.org>\r\n",
		// Order of Received fields is the trail's.
		"Received: from a by b; Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <abc@example.org>\r\nReceived: x\r\n",
	}
	for _, s := range differ {
		if k, _ := headerKey([]byte(s)); k == key {
			t.Errorf("headerKey(%q) is the key of %q", s, base)
		}
	}
	for _, s := range []string{
		"", "\r\n", "Received: from a by b\r\n", "Message-ID:\r\nReceived: x\r\n", "Message-ID:   \r\n",
		"\r\nMessage-ID: <after-the-header@x>\r\n", "Message-ID <no-colon@x>\r\n", "Message ID: <space@x>\r\n",
	} {
		if k, ok := headerKey([]byte(s)); ok {
			t.Errorf("headerKey(%q) = %q, true; want no Message-ID", s, k)
		}
	}
}

func TestHeaderFields(t *testing.T) {
	got := headerFields([]byte(" leading continuation\r\nA: 1\r\n 2\r\n\t3\r\ngarbage line\r\nB : x\r\n\r\nC: after\r\n"))
	var s []string
	for _, f := range got {
		s = append(s, string(f.name)+"="+string(f.value))
	}
	// Continuations join with a space; the values are normalised later.
	if want := "A= 1  2 \t3|B= x"; strings.Join(s, "|") != want {
		t.Errorf("headerFields = %q, want %q", strings.Join(s, "|"), want)
	}
}

// FuzzHeaderKey checks that a key never depends on line ends or on how
// a field is folded, and never panics.
func FuzzHeaderKey(f *testing.F) {
	f.Add([]byte("Message-ID: <a@b>\r\nReceived: from x\r\n by y\r\n\r\n"))
	f.Add([]byte("message-id:<a@b>\nreceived:\n\n"))
	f.Add([]byte(":\r\n \r\n\t\r\n"))
	f.Fuzz(func(t *testing.T, header []byte) {
		key, ok := headerKey(header)
		if ok != (key != "") {
			t.Fatalf("key %q with ok %v", key, ok)
		}
		lf := bytes.ReplaceAll(header, []byte("\r\n"), []byte("\n"))
		crlf := bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
		if bytes.Contains(lf, []byte("\r")) {
			return // a bare CR is data, not a line end
		}
		if k2, ok2 := headerKey(crlf); k2 != key || ok2 != ok {
			t.Fatalf("CRLF changes the key: %q %v vs %q %v", key, ok, k2, ok2)
		}
	})
}
