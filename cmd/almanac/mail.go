package main

import (
	"context"
	"fmt"
	"io"

	"almanac/mailbox"
	"almanac/storage"
)

// mailCmd is `almanac mail export` (write the Dovecot passwd-file and
// the Postfix virtual table now) and `almanac mail org` (create an
// organization owned by an account: the server admin's entry point; the
// owner does the rest over the API).
func mailCmd(args []string, stdout io.Writer) error {
	name, err := subcommand("mail", args, stdout, "export", "org")
	if err != nil {
		return err
	}
	c := newCmdline(name, stdout)
	data := c.dataDir()
	var passwd, virtual, owner *string
	nargs := 0
	if args[0] == "export" {
		passwd = c.str("dovecot-passwd", "ALMANAC_DOVECOT_PASSWD", "", "Dovecot passwd-file `FILE` to write; its directory must exist", checkOutputFile)
		virtual = c.str("postfix-virtual", "ALMANAC_POSTFIX_VIRTUAL", "", "Postfix virtual alias table `FILE` to write; its directory must exist", checkOutputFile)
	} else {
		owner = c.fs.String("owner", "", "`LOGIN` of the organization's owner")
		nargs = 1
	}
	if err := c.parse(args[1:], nargs, nargs); err != nil {
		return err
	}
	if args[0] == "export" && *passwd == "" && *virtual == "" {
		return &usageError{cmd: name, msg: "give -dovecot-passwd, -postfix-virtual or both"}
	}
	if args[0] == "org" && *owner == "" {
		return &usageError{cmd: name, msg: "missing -owner"}
	}
	// export only reads the database.
	db, err := openExisting(*data, args[0] == "export")
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	switch args[0] {
	case "export":
		if err := mailbox.Export(ctx, db, *passwd, *virtual); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "mail server files written")
		return nil
	default: // org
		acc, err := db.AccountByLogin(ctx, *owner)
		if err != nil {
			return fmt.Errorf("no account %s: %w", *owner, err)
		}
		o := &storage.Organization{Name: c.fs.Arg(0)}
		if err := db.CreateOrganization(ctx, o); err != nil {
			return err
		}
		if err := db.PutMember(ctx, storage.Member{Org: o.ID, Account: acc.ID, Role: storage.RoleOwner}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "organization %s (%s) owned by %s\n", o.ID, o.Name, acc.Login)
		return nil
	}
}
