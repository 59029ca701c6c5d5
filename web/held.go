package web

import (
	"context"
	"errors"
	"fmt"
	"time"

	"almanac/auth"
	"almanac/storage"
)

// held is where previewed uploads wait for their confirmation: this
// server's memory, or the store every server shares (Options.Stash), so
// that a confirmation may reach another server than the preview.
type held interface {
	put(ctx context.Context, session, path string, data []byte, now time.Time) (token string, err error)
	take(ctx context.Context, session, token, path string, now time.Time) (data []byte, ok bool, err error)
}

// heldInMemory is pendingFiles as held.
type heldInMemory struct{ *pendingFiles }

func (h heldInMemory) put(_ context.Context, session, path string, data []byte, now time.Time) (string, error) {
	return h.pendingFiles.put(session, path, data, now), nil
}

func (h heldInMemory) take(_ context.Context, session, token, path string, now time.Time) ([]byte, bool, error) {
	data, ok := h.pendingFiles.take(session, token, path, now)
	return data, ok, nil
}

// heldInStore keeps pendingFiles' rules in a storage.Stash: one file a
// session, taken once with its token for its path, for pendingTTL, all
// together within maxBytes.
type heldInStore struct {
	st       storage.Stash
	maxBytes int64
}

func stashKey(session string) string { return "web-import/" + session }

// stashTag binds a file to its token and path; NUL appears in neither.
func stashTag(token, path string) []byte { return []byte(token + "\x00" + path) }

func (h heldInStore) put(ctx context.Context, session, path string, data []byte, now time.Time) (string, error) {
	token, _ := auth.NewToken()
	if err := h.st.PutStash(ctx, stashKey(session), stashTag(token, path), data, now, now.Add(pendingTTL), h.maxBytes); err != nil {
		return "", fmt.Errorf("web: hold the upload: %w", err)
	}
	return token, nil
}

func (h heldInStore) take(ctx context.Context, session, token, path string, now time.Time) ([]byte, bool, error) {
	data, err := h.st.TakeStash(ctx, stashKey(session), stashTag(token, path), now)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("web: take the upload: %w", err)
	}
	return data, true, nil
}
