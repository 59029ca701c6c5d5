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
func mailCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	fs, data := newFlagSet("mail "+args[0], stderr)
	passwd := fs.String("dovecot-passwd", envOr("ALMANAC_DOVECOT_PASSWD", ""), "Dovecot passwd-file to write (env ALMANAC_DOVECOT_PASSWD)")
	virtual := fs.String("postfix-virtual", envOr("ALMANAC_POSTFIX_VIRTUAL", ""), "Postfix virtual alias table to write (env ALMANAC_POSTFIX_VIRTUAL)")
	owner := fs.String("owner", "", "login of the organization's owner (mail org)")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	db, err := openStore(*data)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	switch args[0] {
	case "export":
		if *passwd == "" && *virtual == "" {
			return fmt.Errorf("give -dovecot-passwd, -postfix-virtual or both")
		}
		if err := mailbox.Export(ctx, db, *passwd, *virtual); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "mail server files written")
		return nil
	case "org":
		if fs.NArg() != 1 || *owner == "" {
			return errUsage
		}
		acc, err := db.AccountByLogin(ctx, *owner)
		if err != nil {
			return fmt.Errorf("no account %s: %w", *owner, err)
		}
		o := &storage.Organization{Name: fs.Arg(0)}
		if err := db.CreateOrganization(ctx, o); err != nil {
			return err
		}
		if err := db.PutMember(ctx, storage.Member{Org: o.ID, Account: acc.ID, Role: storage.RoleOwner}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "organization %s (%s) owned by %s\n", o.ID, o.Name, acc.Login)
		return nil
	}
	return errUsage
}
