package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"almanac/auth"
	"almanac/storage"
)

func userCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	sub := args[0]
	fs, data := newFlagSet("user "+sub, stderr)
	var handle *string
	if sub == "add" {
		handle = fs.String("handle", "", "URL handle of the new account (default: random); fixed handles keep URLs from an earlier server")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	want := 1
	if sub == "list" {
		want = 0
	}
	if fs.NArg() != want {
		return errUsage
	}
	switch sub {
	case "add", "passwd", "list", "delete":
	default:
		return errUsage
	}
	db, err := openStore(*data)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	switch sub {
	case "list":
		accs, err := db.ListAccounts(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "LOGIN\tHANDLE\tCREATED")
		for _, a := range accs {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", a.Login, a.ID, a.Created.Format("2006-01-02"))
		}
		return tw.Flush()
	case "add":
		login := fs.Arg(0)
		if err := auth.ValidateLogin(login); err != nil {
			return err
		}
		pw, err := readPassword(stdin, stderr)
		if err != nil {
			return err
		}
		if err := validHandle(*handle); err != nil {
			return err
		}
		acc, err := createAccount(ctx, db, login, pw, *handle)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created %s (handle %s)\n", acc.Login, acc.ID)
		return nil
	case "passwd":
		acc, err := db.AccountByLogin(ctx, fs.Arg(0))
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("no account with login %s", fs.Arg(0))
		}
		if err != nil {
			return err
		}
		pw, err := readPassword(stdin, stderr)
		if err != nil {
			return err
		}
		if acc.PasswordHash, err = auth.HashPassword(pw); err != nil {
			return err
		}
		if err := db.UpdateAccount(ctx, acc); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password changed for %s\n", acc.Login)
		return nil
	case "delete":
		acc, err := db.AccountByLogin(ctx, fs.Arg(0))
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("no account with login %s", fs.Arg(0))
		}
		if err != nil {
			return err
		}
		if err := db.DeleteAccount(ctx, acc.ID); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deleted %s and all its calendars\n", acc.Login)
		return nil
	}
	return errUsage
}

// minPasswordLen is a floor, not a policy: the account-settings work
// brings the strength rules.
const minPasswordLen = 8

// readPassword prompts twice on a terminal, and otherwise reads one line
// from stdin, so scripts can pipe a password in.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	var pw string
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "Repeat password: ")
		b2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(b) != string(b2) {
			return "", errors.New("the passwords do not match")
		}
		pw = string(b)
	} else {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", errors.New("expected the password on standard input")
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if len(pw) < minPasswordLen {
		return "", fmt.Errorf("the password must have at least %d characters", minPasswordLen)
	}
	return pw, nil
}

// validHandle allows what is safe in a URL segment without escaping.
func validHandle(h string) error {
	if h == "" {
		return nil
	}
	if len(h) > 64 {
		return errors.New("the handle must have at most 64 characters")
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') || h == "." || h == ".." {
			return errors.New("the handle may contain only a-z, 0-9, '-', '_' and '.'")
		}
	}
	return nil
}
