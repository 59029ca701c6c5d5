package server

import (
	"context"
	"log/slog"
)

// requestLogHandler puts the id of the request a record was logged for,
// found in the record's context, first on the line as "req", so that
// every line a request causes (its errors, the warnings of the packages
// that served it, the request line itself) can be found by the id the
// client saw in X-Request-Id. Packages only have to log with the
// request's context (LogAttrs, ErrorContext, ...); none of them knows
// the id.
//
// A group opened with WithGroup would hold req too; the server opens
// none.
type requestLogHandler struct{ slog.Handler }

// LogHandler returns h adding the request id to every record logged with
// a request's context. New wraps the configured logger in it; the command
// wraps its own handler too, so that what it builds outside the server
// (the outbox) logs request ids as well. Wrapping twice is wrapping once.
func LogHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(requestLogHandler); ok {
		return h
	}
	return requestLogHandler{h}
}

func (h requestLogHandler) Handle(ctx context.Context, r slog.Record) error {
	var info *requestInfo
	if ctx != nil {
		info, _ = ctx.Value(infoKey{}).(*requestInfo)
	}
	if info == nil {
		return h.Handler.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	out.AddAttrs(slog.String("req", info.id))
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(a)
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h requestLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestLogHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestLogHandler) WithGroup(name string) slog.Handler {
	return requestLogHandler{h.Handler.WithGroup(name)}
}
