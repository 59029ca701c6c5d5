package main

import (
	"context"
	"fmt"
	"io"

	"almanac/mailbox"
)

// mailCmd is `almanac mail export` (write the Dovecot passwd-file, the
// Postfix virtual table and the Sieve scripts now) and `almanac mail org` (create an
// organization owned by an account: the server admin's entry point; the
// owner does the rest over the API).
func mailCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	name, err := subcommand("mail", args, stdout, "export", "org")
	if err != nil {
		return err
	}
	return runDB(dbCommands[name], args[1:], stdin, stdout, stderr)
}

var mailCommands = []*dbCommand{
	// export only reads the database.
	{name: "mail export", open: openRead, define: mailExport},
	{name: "mail org", minArgs: 1, maxArgs: 1, define: mailOrg},
}

// mailExport's files are written by whoever runs it: the CLI, or the
// server on its behalf, at the absolute paths the CLI resolved.
func mailExport(c *cmdline) dbJob {
	passwd := c.str("dovecot-passwd", "ALMANAC_DOVECOT_PASSWD", "", "Dovecot passwd-file `FILE` to write; its directory must exist and be writable", absolute(checkOutputFile))
	virtual := c.str("postfix-virtual", "ALMANAC_POSTFIX_VIRTUAL", "", "Postfix virtual alias table `FILE` to write; its directory must exist and be writable", absolute(checkOutputFile))
	sieveDir := c.str("sieve-dir", "ALMANAC_SIEVE_DIR", "", "existing `DIR` to write one Sieve script per mailbox into, DIR/<domain>/<local-part>.sieve", absolute(checkSieveDir))
	given := func() error {
		if *passwd == "" && *virtual == "" && *sieveDir == "" {
			return &usageError{cmd: c.name, msg: "give -dovecot-passwd, -postfix-virtual, -sieve-dir or several"}
		}
		return nil
	}
	return dbJob{
		prepare: func(io.Reader, io.Writer) ([]byte, error) { return nil, given() },
		run: func(ctx context.Context, x *dbEnv) error {
			if err := given(); err != nil {
				return err
			}
			if err := mailbox.ExportFiles(ctx, x.store, mailbox.Files{Passwd: *passwd, Virtual: *virtual, SieveDir: *sieveDir}); err != nil {
				return err
			}
			fmt.Fprintln(x.stdout, "mail server files written")
			return nil
		},
	}
}

func mailOrg(c *cmdline) dbJob {
	owner := c.str("owner", "", "", "`LOGIN` of the organization's owner", nil)
	given := func() error {
		if *owner == "" {
			return &usageError{cmd: c.name, msg: "missing -owner"}
		}
		return nil
	}
	return dbJob{
		prepare: func(io.Reader, io.Writer) ([]byte, error) { return nil, given() },
		run: func(ctx context.Context, x *dbEnv) error {
			if err := given(); err != nil {
				return err
			}
			acc, err := x.admin.ByLogin(ctx, *owner)
			if err != nil {
				return err
			}
			o, err := mailbox.CreateOrganization(ctx, x.store, c.fs.Arg(0), acc.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(x.stdout, "organization %s (%s) owned by %s\n", o.ID, o.Name, acc.Login)
			return nil
		},
	}
}
