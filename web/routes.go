package web

import "net/http"

func (h *Handler) routes() {
	h.mux.Handle("GET /static/", h.static)
	h.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		http.ServeFileFS(w, r, staticFS, "static/favicon.svg")
	})
	h.public("GET /{$}", h.home)

	// Signing in and out, recovery.
	h.public("GET /login", h.loginView)
	h.publicPost("POST /login", h.login, h.loginView)
	h.ownPost("POST /logout", h.logout, nil)
	h.public("GET /forgot/password", h.forgotPasswordView)
	h.publicPost("POST /forgot/password", h.forgotPassword, h.forgotPasswordView)
	h.public("GET /reset", h.resetView)
	h.publicPost("POST /reset", h.reset, h.resetView)
	h.public("GET /forgot/login", h.forgotLoginView)
	h.publicPost("POST /forgot/login", h.forgotLogin, h.forgotLoginView)

	// Calendars and address books, their links and shares.
	h.own("GET /calendars", h.calendarsView)
	h.ownPost("POST /calendars", h.createCalendar, h.calendarsView)
	h.own("GET /calendars/{name}", h.calendarView)
	h.ownPost("POST /calendars/{name}", h.updateCalendar, h.calendarView)
	h.own("GET /calendars/{name}/delete", h.deleteCalendarView)
	h.ownPost("POST /calendars/{name}/delete", h.deleteCalendar, h.deleteCalendarView)
	h.own("GET /calendars/{name}/import", h.importView)
	h.ownUpload("POST /calendars/{name}/import", h.previewImport, h.importView)
	h.ownPost("POST /calendars/{name}/import/confirm", h.confirmImport, h.importView)
	h.ownPost("POST /calendars/{name}/links", h.createLink, h.calendarView)
	h.ownPost("POST /calendars/{name}/shares", h.share, h.calendarView)
	h.ownPost("POST /calendars/{name}/shares/{sharee}", h.updateShare, h.calendarView)
	h.own("GET /calendars/{name}/shares/{sharee}/revoke", h.revokeShareView)
	h.ownPost("POST /calendars/{name}/shares/{sharee}/revoke", h.revokeShare, h.revokeShareView)
	h.own("GET /shared/{owner}/{collection}/leave", h.leaveView)
	h.ownPost("POST /shared/{owner}/{collection}/leave", h.leave, h.leaveView)
	h.own("GET /links/{id}", h.linkView)
	h.ownPost("POST /links/{id}", h.updateLink, h.linkView)
	h.own("GET /links/{id}/rotate", h.linkConfirmView("rotate"))
	h.ownPost("POST /links/{id}/rotate", h.rotateLink, h.linkConfirmView("rotate"))
	h.own("GET /links/{id}/revoke", h.linkConfirmView("revoke"))
	h.ownPost("POST /links/{id}/revoke", h.revokeLink, h.linkConfirmView("revoke"))

	// The account.
	h.own("GET /account", h.accountView)
	h.ownPost("POST /account/profile", h.saveProfile, h.accountView)
	h.ownPost("POST /account/password", h.changePassword, h.accountView)
	h.own("GET /account/sessions/end", h.endSessionsView)
	h.ownPost("POST /account/sessions/end", h.endSessions, h.endSessionsView)
	h.ownPost("POST /account/app-passwords", h.createAppPassword, h.accountView)
	h.own("GET /account/app-passwords/{id}/revoke", h.deleteAppPasswordView)
	h.ownPost("POST /account/app-passwords/{id}/revoke", h.deleteAppPassword, h.deleteAppPasswordView)
	h.ownPost("POST /account/2fa", h.enroll2FA, h.accountView)
	h.ownPost("POST /account/2fa/confirm", h.confirm2FA, h.totpRetry)
	h.ownPost("POST /account/2fa/disable", h.disable2FA, h.accountView)
	h.own("GET /account/login", h.loginChangeView)
	h.ownPost("POST /account/login", h.requestLoginChange, h.loginChangeView)
	h.ownPost("POST /account/login/confirm", h.confirmLoginChange, h.loginChangeView)
	h.ownPost("POST /preferences", h.preferences, h.accountView)

	// Mail.
	h.own("GET /mail", h.mailView)
	h.ownPost("POST /mail/link", h.linkMailbox, h.mailView)
	h.own("GET /mail/{address}", h.mailboxView)
	h.ownPost("POST /mail/{address}/password", h.mailboxPassword, h.mailboxView)
	h.ownPost("POST /mail/{address}/aliases", h.addAlias, h.mailboxView)
	h.own("GET /mail/{address}/aliases/{alias}/remove", h.removeAliasView)
	h.ownPost("POST /mail/{address}/aliases/{alias}/remove", h.removeAlias, h.removeAliasView)
	h.own("GET /manage", h.manageView)
	h.ownPost("POST /manage/orgs/{org}/members", h.addMember, h.manageView)
	h.own("GET /manage/orgs/{org}/members/{account}/remove", h.removeMemberView)
	h.ownPost("POST /manage/orgs/{org}/members/{account}/remove", h.removeMember, h.removeMemberView)
	h.ownPost("POST /manage/orgs/{org}/services", h.createService, h.manageView)
	h.own("GET /manage/services/{service}", h.serviceView)
	h.ownPost("POST /manage/services/{service}/mailboxes", h.createMailbox, h.serviceView)
	h.own("GET /manage/services/{service}/mailboxes/{local}/delete", h.deleteMailboxView)
	h.ownPost("POST /manage/services/{service}/mailboxes/{local}/delete", h.deleteMailbox, h.deleteMailboxView)
	h.ownPost("POST /manage/services/{service}/mailboxes/{local}/password", h.managerPassword, h.serviceView)
	h.ownPost("POST /manage/services/{service}/mailboxes/{local}/rights", h.setRights, h.serviceView)

	// Out-of-office responders: the same pages through a linked mailbox
	// (the user) and through its service (a manager); the API decides.
	for _, base := range []string{"/mail/{address}/responders", "/manage/services/{service}/mailboxes/{local}/responders"} {
		h.own("GET "+base, h.respondersView)
		h.own("GET "+base+"/new", h.newResponderView)
		h.ownPost("POST "+base, h.createResponder, h.newResponderView)
		h.own("GET "+base+"/{id}", h.responderView)
		h.ownPost("POST "+base+"/{id}", h.updateResponder, h.responderView)
		h.ownPost("POST "+base+"/{id}/activate", h.setResponderActive(true), h.respondersView)
		h.ownPost("POST "+base+"/{id}/deactivate", h.setResponderActive(false), h.respondersView)
		for _, what := range []string{"reset", "delete"} {
			h.own("GET "+base+"/{id}/"+what, h.responderConfirmView(what))
		}
		h.ownPost("POST "+base+"/{id}/reset", h.resetResponder, h.responderConfirmView("reset"))
		h.ownPost("POST "+base+"/{id}/delete", h.deleteResponder, h.responderConfirmView("delete"))
		h.ownPost("POST "+base+"/senders", h.addSender, h.respondersView)
		h.ownPost("POST "+base+"/senders/confirm", h.confirmSender, h.respondersView)
		h.own("GET "+base+"/senders/{sender}/remove", h.removeSenderView)
		h.ownPost("POST "+base+"/senders/{sender}/remove", h.removeSender, h.removeSenderView)
	}

	// How to set up apps, with a configuration profile to download: a
	// mailbox's (mail, calendars, contacts) or the account's.
	for _, base := range []string{"/mail/{address}/setup", "/account/setup"} {
		h.own("GET "+base, h.setupView)
		h.own("GET "+base+"/profile.mobileconfig", h.profileGet)
		h.ownPost("POST "+base+"/profile.mobileconfig", h.profile, h.setupView)
	}

	h.own("GET /manage/services/{service}/client-settings", h.clientSettingsView)
	h.ownPost("POST /manage/services/{service}/client-settings", h.saveClientSettings, h.clientSettingsView)

	// Copies of other providers' mailboxes into a linked one, with their
	// progress.
	// One mailbox's (the user's), or a service's from a CSV (a manager's).
	h.ownPost("POST /mail/{address}/imports", h.startImport, h.importsView)
	h.ownUpload("POST /manage/services/{service}/imports", h.startBatch, h.importsView)
	h.own("GET /manage/services/{service}/imports/template.csv", h.importTemplate)
	for _, base := range []string{"/mail/{address}/imports", "/manage/services/{service}/imports"} {
		h.own("GET "+base, h.importsView)
		h.own("GET "+base+"/{id}", h.importJobView)
		h.own("GET "+base+"/{id}/cancel", h.cancelImportView)
		h.ownPost("POST "+base+"/{id}/cancel", h.cancelImport, h.cancelImportView)
	}

	// A service's responder templates, for its managers.
	tp := "/manage/services/{service}/templates"
	h.own("GET "+tp, h.templatesView)
	h.own("GET "+tp+"/new", h.newTemplateView)
	h.ownPost("POST "+tp, h.createTemplate, h.newTemplateView)
	h.own("GET "+tp+"/{id}", h.templateView)
	h.ownPost("POST "+tp+"/{id}", h.updateTemplate, h.templateView)
	h.own("GET "+tp+"/{id}/apply", h.applyView)
	h.ownPost("POST "+tp+"/{id}/apply", h.applyTemplate, h.applyView)
	h.own("GET "+tp+"/{id}/delete", h.deleteTemplateView)
	h.ownPost("POST "+tp+"/{id}/delete", h.deleteTemplate, h.deleteTemplateView)

	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.finish(w, r, h.newPage(r), errNotFound)
	})
}
