package adminsock

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Version is the protocol version a Request carries.
const Version = 1

// Frame kinds. Each direction has its own, so that a frame sent the wrong
// way is a protocol error rather than misread.
const (
	// client to server
	kindRequest  = 'q' // the Request, JSON; first and once
	kindStdin    = 'i' // standard input bytes
	kindStdinEnd = 'e' // standard input ends; empty
	// server to client
	kindStdout = 'o'
	kindStderr = 'r'
	kindExit   = 'x' // the exit status, JSON; last
)

// A frame is a kind byte, a big-endian uint32 payload length and the
// payload.
const headerLen = 5

// maxPayload bounds a frame as read: writers send at most chunkSize of
// output at a time, and a request is far smaller.
const (
	maxPayload = 64 << 10
	chunkSize  = 32 << 10
)

// Bounds of a Request, which a client of the same uid sends but a
// protocol still checks: a command name is two words, and no command
// takes more than a few arguments of a few hundred bytes.
const (
	maxCommand = 64
	maxArgs    = 256
	maxArg     = 4096
)

var errProtocol = errors.New("adminsock: protocol error")

// readFrame reads one frame.
func readFrame(r io.Reader) (kind byte, payload []byte, err error) {
	var h [headerLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[1:])
	if n > maxPayload {
		return 0, nil, fmt.Errorf("%w: frame of %d bytes (at most %d)", errProtocol, n, maxPayload)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return h[0], payload, nil
}

// writeFrame writes one frame in one Write, so that frames written under
// a lock never interleave.
func writeFrame(w io.Writer, kind byte, payload []byte) error {
	if len(payload) > maxPayload {
		return fmt.Errorf("%w: frame of %d bytes (at most %d)", errProtocol, len(payload), maxPayload)
	}
	b := make([]byte, headerLen+len(payload))
	b[0] = kind
	binary.BigEndian.PutUint32(b[1:], uint32(len(payload)))
	copy(b[headerLen:], payload)
	_, err := w.Write(b)
	return err
}

// Request is one command the CLI asks the server to run: its name as the
// command line spells it ("user add") and its arguments, flags first.
type Request struct {
	Version int      `json:"v"`
	Command string   `json:"command"`
	Args    []string `json:"args"`
}

// decodeRequest reads and checks a request frame's payload.
func decodeRequest(p []byte) (Request, error) {
	var req Request
	if err := json.Unmarshal(p, &req); err != nil {
		return Request{}, fmt.Errorf("%w: request is not JSON", errProtocol)
	}
	switch {
	case req.Version != Version:
		return Request{}, fmt.Errorf("%w: protocol version %d, this server speaks %d", errProtocol, req.Version, Version)
	case req.Command == "" || len(req.Command) > maxCommand:
		return Request{}, fmt.Errorf("%w: command name empty or longer than %d bytes", errProtocol, maxCommand)
	case len(req.Args) > maxArgs:
		return Request{}, fmt.Errorf("%w: more than %d arguments", errProtocol, maxArgs)
	}
	for _, a := range req.Args {
		if len(a) > maxArg || !utf8.ValidString(a) {
			return Request{}, fmt.Errorf("%w: an argument is longer than %d bytes or not UTF-8", errProtocol, maxArg)
		}
	}
	return req, nil
}

// exitJSON is the payload of the last frame.
type exitJSON struct {
	Status int `json:"status"`
}

// decodeExit reads the last frame's payload.
func decodeExit(p []byte) (int, error) {
	var x exitJSON
	if err := json.Unmarshal(p, &x); err != nil || x.Status < 0 || x.Status > 255 {
		return 0, fmt.Errorf("%w: bad exit status", errProtocol)
	}
	return x.Status, nil
}

// frameWriter turns writes into frames of one kind, at most chunkSize
// each, on a connection it shares with another frameWriter.
type frameWriter struct {
	kind byte
	out  *lockedWriter
}

func (w *frameWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		c := min(len(p), chunkSize)
		if err := w.out.frame(w.kind, p[:c]); err != nil {
			return n, err
		}
		n += c
		p = p[c:]
	}
	return n, nil
}
