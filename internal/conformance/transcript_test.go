package conformance

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// A transcript is one testdata file: a title and description, then
// request and response messages marked ">> Request <<" and
// ">> Response <<" as the RFCs print them, with the RFCs' indentation and
// page breaks removed and nothing else changed.
type transcript struct {
	title     string
	exchanges []rawExchange
}

// rawExchange holds one request and its response as text, so that the
// table's corrections can be applied to the text the RFC shows.
type rawExchange struct {
	request, response string
}

const (
	markRequest  = ">> Request <<"
	markResponse = ">> Response <<"
)

func readTranscript(path string) (*transcript, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseTranscript(string(b))
}

func parseTranscript(text string) (*transcript, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	head, rest, ok := strings.Cut(text, markRequest)
	if !ok {
		return nil, fmt.Errorf("no %q marker", markRequest)
	}
	tr := &transcript{title: strings.TrimSpace(strings.SplitN(head, "\n", 2)[0])}
	for _, part := range strings.Split(rest, markRequest) {
		req, resp, ok := strings.Cut(part, markResponse)
		if !ok {
			return nil, fmt.Errorf("request %d has no %q", len(tr.exchanges)+1, markResponse)
		}
		tr.exchanges = append(tr.exchanges, rawExchange{request: req, response: resp})
	}
	return tr, nil
}

// message is a parsed request or response.
type message struct {
	start  string // request line or status line
	header http.Header
	body   string
}

func parseMessage(text string) (*message, error) {
	lines := strings.Split(strings.TrimLeft(text, "\n"), "\n")
	m := &message{header: http.Header{}}
	if len(lines) == 0 || strings.TrimSpace(lines[0]) == "" {
		return nil, fmt.Errorf("no start line")
	}
	m.start = strings.TrimSpace(lines[0])
	i := 1
	var last string
	for ; i < len(lines); i++ {
		l := lines[i]
		if strings.TrimSpace(l) == "" {
			i++
			break
		}
		if l[0] == ' ' || l[0] == '\t' {
			// A folded header line, as RFC 6578 5.1 prints its If header.
			if last == "" {
				return nil, fmt.Errorf("continuation line without header: %q", l)
			}
			vs := m.header[last]
			vs[len(vs)-1] += " " + strings.TrimSpace(l)
			continue
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("malformed header line %q", l)
		}
		last = http.CanonicalHeaderKey(strings.TrimSpace(name))
		m.header.Add(last, strings.TrimSpace(value))
	}
	if i < len(lines) {
		m.body = strings.TrimRight(strings.Join(lines[i:], "\n"), "\n \t")
		if m.body != "" {
			m.body += "\n"
		}
	}
	return m, nil
}

// requestLine splits "METHOD target HTTP/1.1".
func (m *message) requestLine() (method, target string, err error) {
	f := strings.Fields(m.start)
	if len(f) != 3 {
		return "", "", fmt.Errorf("malformed request line %q", m.start)
	}
	return f[0], f[1], nil
}

// status returns the code of a status line "HTTP/1.1 207 Multi-Status".
func (m *message) status() (int, error) {
	f := strings.Fields(m.start)
	if len(f) < 2 {
		return 0, fmt.Errorf("malformed status line %q", m.start)
	}
	return strconv.Atoi(f[1])
}

// An edit changes the text of one message of an example before it is
// played: the correction of an inconsistency in the RFC's own text, or
// what the server deliberately answers instead. old must occur in the
// text (else the edit is stale and the test fails); every occurrence is
// replaced. An empty old replaces the whole message.
type edit struct {
	why      string
	exchange int  // index in the transcript
	request  bool // edit the request, else the expected response
	old, new string
}

func (e edit) apply(tr *transcript) error {
	if e.exchange >= len(tr.exchanges) {
		return fmt.Errorf("edit %q: no exchange %d", e.why, e.exchange)
	}
	x := &tr.exchanges[e.exchange]
	text := &x.response
	if e.request {
		text = &x.request
	}
	if e.old == "" {
		*text = "\n" + e.new
		return nil
	}
	if !strings.Contains(*text, e.old) {
		return fmt.Errorf("stale edit %q: %q not found", e.why, e.old)
	}
	*text = strings.ReplaceAll(*text, e.old, e.new)
	return nil
}
