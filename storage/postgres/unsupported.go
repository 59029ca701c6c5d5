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

func (s *Store) AddAlias(_ context.Context, _ string, _ string, _ string, _ int) error {
	return unsupported("AddAlias")
}

func (s *Store) Check(_ context.Context, _ func(storage.Problem)) (storage.CheckStats, error) {
	return storage.CheckStats{}, unsupported("Check")
}

func (s *Store) CreateImportJob(_ context.Context, _ *storage.ImportJob) error {
	return unsupported("CreateImportJob")
}

func (s *Store) CreateMailService(_ context.Context, _ *storage.MailService) error {
	return unsupported("CreateMailService")
}

func (s *Store) CreateMailbox(_ context.Context, _ *storage.Mailbox) error {
	return unsupported("CreateMailbox")
}

func (s *Store) CreateOrganization(_ context.Context, _ *storage.Organization) error {
	return unsupported("CreateOrganization")
}

func (s *Store) CreateResponderTemplate(_ context.Context, _ *storage.ResponderTemplate, _ int) error {
	return unsupported("CreateResponderTemplate")
}

func (s *Store) CreateResponders(_ context.Context, _ []storage.Responder, _ int) error {
	return unsupported("CreateResponders")
}

func (s *Store) DeleteMailService(_ context.Context, _ string) error {
	return unsupported("DeleteMailService")
}

func (s *Store) DeleteMailbox(_ context.Context, _ string, _ string) error {
	return unsupported("DeleteMailbox")
}

func (s *Store) DeleteMailboxLink(_ context.Context, _ string, _ string, _ string) error {
	return unsupported("DeleteMailboxLink")
}

func (s *Store) DeleteMember(_ context.Context, _ string, _ string) error {
	return unsupported("DeleteMember")
}

func (s *Store) DeleteOrganization(_ context.Context, _ string) error {
	return unsupported("DeleteOrganization")
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

func (s *Store) ImportJob(_ context.Context, _ string) (*storage.ImportJob, error) {
	return nil, unsupported("ImportJob")
}

func (s *Store) ImportJobsOf(_ context.Context, _ string) ([]storage.ImportJob, error) {
	return nil, unsupported("ImportJobsOf")
}

func (s *Store) MailExport(_ context.Context) ([]storage.MailService, map[string][]storage.Mailbox, error) {
	return nil, nil, unsupported("MailExport")
}

func (s *Store) MailService(_ context.Context, _ string) (*storage.MailService, error) {
	return nil, unsupported("MailService")
}

func (s *Store) MailServiceByDomain(_ context.Context, _ string) (*storage.MailService, error) {
	return nil, unsupported("MailServiceByDomain")
}

func (s *Store) MailServices(_ context.Context, _ string) ([]storage.MailService, error) {
	return nil, unsupported("MailServices")
}

func (s *Store) Mailbox(_ context.Context, _ string, _ string) (*storage.Mailbox, error) {
	return nil, unsupported("Mailbox")
}

func (s *Store) MailboxLink(_ context.Context, _ string, _ string, _ string) (*storage.MailboxLink, error) {
	return nil, unsupported("MailboxLink")
}

func (s *Store) MailboxLinksOf(_ context.Context, _ string) ([]storage.MailboxLink, error) {
	return nil, unsupported("MailboxLinksOf")
}

func (s *Store) MailboxLinksTo(_ context.Context, _ string, _ string) ([]storage.MailboxLink, error) {
	return nil, unsupported("MailboxLinksTo")
}

func (s *Store) Mailboxes(_ context.Context, _ string) ([]storage.Mailbox, error) {
	return nil, unsupported("Mailboxes")
}

func (s *Store) Member(_ context.Context, _ string, _ string) (*storage.Member, error) {
	return nil, unsupported("Member")
}

func (s *Store) Members(_ context.Context, _ string) ([]storage.Member, error) {
	return nil, unsupported("Members")
}

func (s *Store) Organization(_ context.Context, _ string) (*storage.Organization, error) {
	return nil, unsupported("Organization")
}

func (s *Store) OrganizationsOf(_ context.Context, _ string) ([]storage.Organization, error) {
	return nil, unsupported("OrganizationsOf")
}

func (s *Store) PutMailboxLink(_ context.Context, _ *storage.MailboxLink) error {
	return unsupported("PutMailboxLink")
}

func (s *Store) PutMember(_ context.Context, _ storage.Member) error {
	return unsupported("PutMember")
}

func (s *Store) PutSendingAddress(_ context.Context, _ *storage.SendingAddress, _ int) error {
	return unsupported("PutSendingAddress")
}

func (s *Store) RemoveAlias(_ context.Context, _ string, _ string, _ string) error {
	return unsupported("RemoveAlias")
}

func (s *Store) ResetResponder(_ context.Context, _ string, _ string, _ string, _ string) (*storage.Responder, error) {
	return nil, unsupported("ResetResponder")
}

func (s *Store) ResolveAddress(_ context.Context, _ string) (*storage.MailService, *storage.Mailbox, bool, error) {
	return nil, nil, false, unsupported("ResolveAddress")
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

func (s *Store) SetMailEndpoints(_ context.Context, _ string, _ storage.MailEndpoint, _ storage.MailEndpoint) (*storage.MailService, error) {
	return nil, unsupported("SetMailEndpoints")
}

func (s *Store) SetMailboxPassword(_ context.Context, _ string, _ string, _ string, _ time.Time) error {
	return unsupported("SetMailboxPassword")
}

func (s *Store) SetResponderActive(_ context.Context, _ string, _ string, _ string, _ bool) (*storage.Responder, error) {
	return nil, unsupported("SetResponderActive")
}

func (s *Store) Snapshot(_ context.Context) (storage.Snapshot, error) {
	return nil, unsupported("Snapshot")
}

func (s *Store) UnfinishedImportJobs(_ context.Context) ([]storage.ImportJob, error) {
	return nil, unsupported("UnfinishedImportJobs")
}

func (s *Store) UpdateImportJob(_ context.Context, _ string, _ func(*storage.ImportJob) error) (*storage.ImportJob, error) {
	return nil, unsupported("UpdateImportJob")
}

func (s *Store) UpdateMailService(_ context.Context, _ *storage.MailService) error {
	return unsupported("UpdateMailService")
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
