// Package account serves the account half of the settings API under
// /api/v1 (JSON, the error shape of internal/api): profile, login ID
// change, password change, recovery of a forgotten password or login,
// two-factor authentication and app passwords. The rules are those of the
// hosting provider's knowledge base the product follows; where it is
// silent, what Nextcloud and Google accounts do.
//
//   - Profile: GET shows login, display name, recovery email, the mobile
//     number masked (only the last two digits), 2FA state and app
//     passwords; PATCH changes display name, recovery email (an email
//     address other than the login) and mobile (E.164).
//   - Login ID change: POST /account/login with the current password and
//     the new login, which must be an email address, differ from the
//     recovery email and be nobody's login. A confirmation token goes to
//     the new address; POST /account/login/confirm with it makes the
//     change. Until then the old login works; after, only the new one.
//     DAV URLs use the account's handle and do not move.
//   - Password change: current password, the new one twice, the strength
//     rule (auth.PasswordProblem). Other sessions and app passwords
//     survive unless end_sessions is true.
//   - Recovery (no login): POST /recovery/password {login} answers the
//     same whether or not the account exists; when it does and has a
//     recovery email, a single-use token valid 30 minutes is mailed
//     (stored hashed; a new request voids older ones), and POST
//     /recovery/password/reset sets a new password with it. POST
//     /recovery/login {mobile, recovery_email?} sends the login by SMS (or
//     to the recovery email when given) when exactly one account matches,
//     and answers the same otherwise. Both are rate-limited per target
//     and per client address (429).
//   - Two-factor (RFC 6238 TOTP): POST /account/2fa with the password
//     starts enrolment (secret and otpauth:// URI for a QR code), POST
//     /account/2fa/confirm with a code turns it on and returns ten
//     single-use recovery codes (stored hashed) and ends the other
//     sessions opened with the password alone, DELETE /account/2fa with
//     password and code (or recovery code) turns it off. With 2FA on, the
//     account password alone no longer opens /dav/ (clients use app
//     passwords) and API requests need the X-Almanac-OTP header or a
//     session made with both factors.
//   - App passwords: named, shown once, stored hashed, scope dav (CalDAV
//     and CardDAV only: 403 on every /api/v1 endpoint) or full; last use
//     and client recorded; revoked one by one.
//   - Sessions: POST /session with login, password (and OTP) sets an
//     HttpOnly, SameSite=Strict cookie; state-changing requests made with
//     the cookie must send its CSRF token in X-CSRF-Token. Basic works for
//     scripts.
//   - Every secret these endpoints take is checked through the
//     Authenticator the server passes in (Options.Auth): the session
//     login and the current password of a sensitive change count with
//     HTTP Basic's failures for the same password, TOTP and recovery
//     codes, the login-change code and reset tokens under their own
//     limits (auth/doc.go, # Throttling), and new passwords are hashed
//     under the server's one argon2 limit. A refusal is 429 with
//     Retry-After.
//
// Outbound mail and SMS go through package notify.
package account
