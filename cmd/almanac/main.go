package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"almanac/internal/buildinfo"
	"almanac/internal/fault"
)

// command is one line of the usage: how to call it and what it does.
type command struct {
	name, args, about string
}

var commands = []command{
	{"serve", "[flags]", "Runs the server. On the first start with no accounts it creates one and prints its password once."},
	{"user add", "[-data DIR | -db URL] [-handle H] [-admin] LOGIN", "Creates an account. The password is read from standard input, or prompted for twice on a terminal."},
	{"user passwd", "[-data DIR | -db URL] LOGIN", "Sets an account's password, read like user add's."},
	{"user list", "[-data DIR | -db URL]", "Lists the accounts. It only reads: without a database it fails and creates none."},
	{"user delete", "[-data DIR | -db URL] LOGIN", "Deletes an account with its calendars and address books."},
	{"user admin", "[-data DIR | -db URL] LOGIN on|off", "Makes an account a server admin (on), who manages accounts over /api/v1/admin, or takes that away (off)."},
	{"user disable", "[-data DIR | -db URL] LOGIN", "Disables an account: it cannot log in by any means, and its data stays."},
	{"user enable", "[-data DIR | -db URL] LOGIN", "Lets a disabled account log in again."},
	{"mail export", "[-data DIR | -db URL] [-dovecot-passwd FILE] [-postfix-virtual FILE] [-sieve-dir DIR]", "Writes the Dovecot passwd-file, the Postfix virtual table and the Sieve scripts of the responders now. It only reads the database."},
	{"mail org", "[-data DIR | -db URL] -owner LOGIN NAME", "Creates an organization owned by an account."},
	{"imip deliver", "[-data DIR | -db URL] [-sender ADDRESS] < MESSAGE", "Applies a meeting reply that arrived by mail (iMIP) to the organizer's event. The mail server pipes inbound mail for the organizers' addresses to it; a message that is no reply from an invited attendee is refused."},
	{"version", "", "Prints the version and VCS revision the binary was built from, and its Go toolchain. Also: almanac -version."},
	{"backup", "[-data DIR] [-link-key FILE] -o FILE", "Writes a backup archive: a snapshot of the database, consistent to one moment, with the link key and a manifest of checksums. FILE must not exist; it is gzipped when it ends in .gz or .tgz. It only reads the database."},
	{"restore", "-i FILE [-data DIR] [-link-key FILE]", "Restores a backup archive into DIR, which must be missing or empty. Every checksum is verified before anything is written; the database appears last."},
	{"migrate", "-from DIR -to URL [-to-data DIR]", "Moves the bbolt database of DIR (its server stopped) into an empty PostgreSQL database, keeping every ETag, sync token and feed URL, then compares both stores record by record, checks the target and exits 1 on any difference. It copies in one transaction: after a failure the target is still empty, run it again. The key files (link.key, import.key, import-master.secret) are not in the database: -to-data copies them to a new server's data directory, else it names the ones to copy."},
	{"check", "[-data DIR | -db URL]", "Checks the database: the file's pages and that every record agrees with its indexes and references. Prints each problem found and exits 1 when there is any. It only reads the database."},
	{"dns", "[-data DIR | -db URL] [-public-url URL] [-imap-host HOST] [-submission-host HOST] ... [DOMAIN...]", "Prints, ready for a zone file, the DNS records that let mail, calendar and contacts apps find this server from an email address (RFC 6186 and RFC 8314 SRV, RFC 6764 SRV and TXT, the autoconfig and autodiscover names), for each DOMAIN or else every Mail Service domain and alias domain. It only reads the database."},
	{"doctor", "[-data DIR | -db URL] [-public-url URL] [-imap-host HOST] [-submission-host HOST] ... [-timeout D] [-ca-file FILE]", "Checks, as a client would, that the IMAP and submission servers clients are given answer and offer TLS with a certificate clients accept, and that /.well-known/caldav and /.well-known/carddav lead to the DAV tree through the public URL; says in words what is wrong and exits 1 when something is. It only reads the database."},
}

// dbNote is said of every command that works on the database.
const dbNote = `While a server runs on the data directory, the command runs inside it,
through the admin socket DIR/admin.sock, with the same output. With -db URL
(env ALMANAC_DB) it works on that PostgreSQL database itself, beside the
servers running on it.`

func findCommand(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// synopsis is the usage of name: one command, a group ("user") or, for
// "", all of them.
func synopsis(name string) string {
	var b strings.Builder
	b.WriteString("usage:\n")
	for _, c := range commands {
		if name == "" || c.name == name || strings.HasPrefix(c.name, name+" ") {
			fmt.Fprintf(&b, "  %s\n", strings.TrimSpace("almanac "+c.name+" "+c.args))
		}
	}
	if name == "" {
		b.WriteString(`
Run 'almanac COMMAND -h' for a command's flags; every flag of serve also
has an ALMANAC_* environment variable, which the flag overrides.
Exit status: 0 done, 1 failed, 2 usage error (unknown command or flag,
missing argument, a flag or environment value that is invalid).
`)
	}
	return b.String()
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the command with its exit status: 0 done (or help asked for),
// 1 failed, 2 usage error.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return report(dispatch(args, stdin, stdout, stderr), stderr)
}

// report prints err as the command line shows it and returns the exit
// status: the one reading of a command's outcome, whether the command
// ran here or in the server for a client of the admin socket (whose
// stderr this then is).
func report(err error, stderr io.Writer) int {
	var ue *usageError
	var es exitStatus
	var fe *fault.Error
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.As(err, &es):
		return int(es)
	case errors.As(err, &fe):
		// Domain refusals carry a message written for people; the rest
		// of their text is for logs.
		fmt.Fprintln(stderr, "almanac:", fe.Message)
		return 1
	case errors.As(err, &ue):
		if ue.msg != "" {
			fmt.Fprintln(stderr, "almanac:", ue.msg)
		}
		fmt.Fprint(stderr, synopsis(ue.cmd))
		if findCommand(ue.cmd) != nil {
			fmt.Fprintf(stderr, "Run 'almanac %s -h' for its flags.\n", ue.cmd)
		}
		return 2
	default:
		fmt.Fprintln(stderr, "almanac:", err)
		return 1
	}
}

func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return &usageError{}
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "user":
		return userCmd(args[1:], stdin, stdout, stderr)
	case "mail":
		return mailCmd(args[1:], stdin, stdout, stderr)
	case "imip":
		return imipCmd(args[1:], stdin, stdout, stderr)
	case "version", "-version", "--version":
		return versionCmd(args[1:], stdout)
	case "backup", "check", "dns", "doctor":
		return runDB(dbCommands[args[0]], args[1:], stdin, stdout, stderr)
	case "restore":
		return restoreCmd(args[1:], stdout)
	case "migrate":
		return migrateCmd(args[1:], stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, synopsis(""))
		return nil
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", args[0])}
}

// versionCmd prints the build information: what `almanac version` shows
// is what the almanac_build_info metric and the start-up log line say.
func versionCmd(args []string, stdout io.Writer) error {
	c := newCmdline("version", stdout)
	if err := c.parse(args, 0, 0); err != nil {
		return err
	}
	fmt.Fprintln(stdout, buildinfo.Read())
	return nil
}

// subcommand picks the subcommand of group ("user", "mail") from args:
// "" with errHelp or a usage error when there is none to run.
func subcommand(group string, args []string, stdout io.Writer, known ...string) (string, error) {
	if len(args) == 0 {
		return "", &usageError{cmd: group, msg: fmt.Sprintf("missing %s command", group)}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, synopsis(group))
		return "", errHelp
	}
	for _, k := range known {
		if args[0] == k {
			return group + " " + k, nil
		}
	}
	return "", &usageError{cmd: group, msg: fmt.Sprintf("unknown command %q", group+" "+args[0])}
}
