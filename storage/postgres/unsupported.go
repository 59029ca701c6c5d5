package postgres

import (
	"context"
	"time"

	"almanac/storage"
)

// Methods not yet implemented on PostgreSQL: each fails with
// errors.ErrUnsupported naming it (doc.go: where the work stopped).

func (s *Store) ActiveResponders(_ context.Context) ([]storage.Responder, error) {
	return nil, unsupported("ActiveResponders")
}

func (s *Store) Check(_ context.Context, _ func(storage.Problem)) (storage.CheckStats, error) {
	return storage.CheckStats{}, unsupported("Check")
}

func (s *Store) CreateResponderTemplate(_ context.Context, _ *storage.ResponderTemplate, _ int) error {
	return unsupported("CreateResponderTemplate")
}

func (s *Store) CreateResponders(_ context.Context, _ []storage.Responder, _ int) error {
	return unsupported("CreateResponders")
}

func (s *Store) DeleteResponder(_ context.Context, _ string, _ string, _ string) error {
	return unsupported("DeleteResponder")
}

func (s *Store) DeleteResponderTemplate(_ context.Context, _ string, _ string) error {
	return unsupported("DeleteResponderTemplate")
}

func (s *Store) DeleteSendingAddress(_ context.Context, _ string, _ string) error {
	return unsupported("DeleteSendingAddress")
}

func (s *Store) PutSendingAddress(_ context.Context, _ *storage.SendingAddress, _ int) error {
	return unsupported("PutSendingAddress")
}

func (s *Store) ResetResponder(_ context.Context, _ string, _ string, _ string, _ string) (*storage.Responder, error) {
	return nil, unsupported("ResetResponder")
}

func (s *Store) Responder(_ context.Context, _ string, _ string, _ string) (*storage.Responder, error) {
	return nil, unsupported("Responder")
}

func (s *Store) ResponderTemplate(_ context.Context, _ string, _ string) (*storage.ResponderTemplate, error) {
	return nil, unsupported("ResponderTemplate")
}

func (s *Store) ResponderTemplates(_ context.Context, _ string) ([]storage.ResponderTemplate, error) {
	return nil, unsupported("ResponderTemplates")
}

func (s *Store) Responders(_ context.Context, _ string, _ string) ([]storage.Responder, error) {
	return nil, unsupported("Responders")
}

func (s *Store) SendingAddresses(_ context.Context, _ string) ([]storage.SendingAddress, error) {
	return nil, unsupported("SendingAddresses")
}

func (s *Store) SetResponderActive(_ context.Context, _ string, _ string, _ string, _ bool) (*storage.Responder, error) {
	return nil, unsupported("SetResponderActive")
}

func (s *Store) Snapshot(_ context.Context) (storage.Snapshot, error) {
	return nil, unsupported("Snapshot")
}

func (s *Store) UpdateResponder(_ context.Context, _ *storage.Responder) error {
	return unsupported("UpdateResponder")
}

func (s *Store) UpdateResponderTemplate(_ context.Context, _ *storage.ResponderTemplate) error {
	return unsupported("UpdateResponderTemplate")
}

func (s *Store) VerifySendingAddress(_ context.Context, _ string, _ string, _ string, _ time.Time) (*storage.SendingAddress, error) {
	return nil, unsupported("VerifySendingAddress")
}
