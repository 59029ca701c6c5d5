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
	name, err := subcommand("user", args, stdout, "add", "passwd", "list", "delete")
	if err != nil {
		return err
	}
	sub := args[0]
	c := newCmdline(name, stdout)
	data := c.dataDir()
	var handle *string
	if sub == "add" {
		handle = c.fs.String("handle", "", "URL handle `H` of the new account (default: random); fixed handles keep URLs from an earlier server")
	}
	want := 1
	if sub == "list" {
		want = 0
	}
	if err := c.parse(args[1:], want, want); err != nil {
		return err
	}
	if sub == "add" {
		return userAdd(*data, c.fs.Arg(0), *handle, stdin, stdout, stderr)
	}
	db, err := openExisting(*data, sub == "list")
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
	case "passwd":
		acc, err := db.AccountByLogin(ctx, c.fs.Arg(0))
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("no account with login %s", c.fs.Arg(0))
		}
		if err != nil {
			return err
		}
		pw, err := readNewPassword(stdin, stderr, acc.Login)
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
	default: // delete
		acc, err := db.AccountByLogin(ctx, c.fs.Arg(0))
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("no account with login %s", c.fs.Arg(0))
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
}

// userAdd checks everything it can before it opens the database, so a
// refused account leaves no database behind in a fresh directory.
func userAdd(dataDir, login, handle string, stdin io.Reader, stdout, stderr io.Writer) error {
	if err := auth.ValidateLogin(login); err != nil {
		return err
	}
	if err := validHandle(handle); err != nil {
		return err
	}
	pw, err := readNewPassword(stdin, stderr, login)
	if err != nil {
		return err
	}
	db, err := openStore(dataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	acc, err := createAccount(context.Background(), db, login, pw, handle)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s (handle %s)\n", acc.Login, acc.ID)
	return nil
}

// readNewPassword reads a password for login and applies the API's rule
// to it (auth.PasswordProblem), so the command line is no back door for
// a password the account settings would refuse.
func readNewPassword(stdin io.Reader, stderr io.Writer, login string) (string, error) {
	pw, err := readPassword(stdin, stderr)
	if err != nil {
		return "", err
	}
	if p := auth.PasswordProblem(pw, login); p != "" {
		return "", errors.New(p)
	}
	return pw, nil
}

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
