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

	"almanac/admin"
)

func userCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	name, err := subcommand("user", args, stdout, "add", "passwd", "list", "delete", "admin", "disable", "enable")
	if err != nil {
		return err
	}
	return runDB(dbCommands[name], args[1:], stdin, stdout, stderr)
}

var userCommands = []*dbCommand{
	{name: "user add", minArgs: 1, maxArgs: 1, open: openCreate, define: userAdd},
	{name: "user passwd", minArgs: 1, maxArgs: 1, define: userPasswd},
	{name: "user list", open: openRead, define: userList},
	{name: "user delete", minArgs: 1, maxArgs: 1, define: userDelete},
	{name: "user admin", minArgs: 2, maxArgs: 2, define: userAdmin},
	{name: "user disable", minArgs: 1, maxArgs: 1, define: userDisabled(true)},
	{name: "user enable", minArgs: 1, maxArgs: 1, define: userDisabled(false)},
}

// userAdd checks everything it can before anything is opened, so that a
// refused account leaves no database behind in a fresh directory.
func userAdd(c *cmdline) dbJob {
	handle := c.str("handle", "", "", "URL handle `H` of the new account (default: random); fixed handles keep URLs from an earlier server", nil)
	isAdmin := c.boolean("admin", "", false, "make the account a server admin, who manages accounts over /api/v1/admin")
	return dbJob{
		prepare: func(stdin io.Reader, stderr io.Writer) ([]byte, error) {
			login := c.fs.Arg(0)
			if err := admin.CheckLogin(login); err != nil {
				return nil, err
			}
			if err := admin.CheckHandle(*handle); err != nil {
				return nil, err
			}
			return readNewPassword(stdin, stderr, login)
		},
		run: func(ctx context.Context, x *dbEnv) error {
			pw, err := readPassword(x.stdin, x.stderr)
			if err != nil {
				return err
			}
			acc, err := x.admin.CreateAccount(ctx, admin.NewAccount{Login: c.fs.Arg(0), Password: pw, Handle: *handle, Admin: *isAdmin})
			if err != nil {
				return err
			}
			if acc.Admin {
				fmt.Fprintf(x.stdout, "created %s (handle %s), a server admin\n", acc.Login, acc.ID)
			} else {
				fmt.Fprintf(x.stdout, "created %s (handle %s)\n", acc.Login, acc.ID)
			}
			return nil
		},
	}
}

func userPasswd(c *cmdline) dbJob {
	return dbJob{
		prepare: func(stdin io.Reader, stderr io.Writer) ([]byte, error) {
			return readNewPassword(stdin, stderr, c.fs.Arg(0))
		},
		run: func(ctx context.Context, x *dbEnv) error {
			acc, err := x.admin.ByLogin(ctx, c.fs.Arg(0))
			if err != nil {
				return err
			}
			pw, err := readPassword(x.stdin, x.stderr)
			if err != nil {
				return err
			}
			if err := x.admin.SetPassword(ctx, acc, pw); err != nil {
				return err
			}
			fmt.Fprintf(x.stdout, "password changed for %s\n", acc.Login)
			return nil
		},
	}
}

func userList(*cmdline) dbJob {
	return dbJob{run: func(ctx context.Context, x *dbEnv) error {
		accs, err := x.admin.Accounts(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(x.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "LOGIN\tHANDLE\tCREATED\tFLAGS")
		for _, a := range accs {
			var flags []string
			if a.Admin {
				flags = append(flags, "admin")
			}
			if a.Disabled {
				flags = append(flags, "disabled")
			}
			if flags == nil {
				flags = []string{"-"}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Login, a.ID, a.Created.Format("2006-01-02"), strings.Join(flags, ","))
		}
		return tw.Flush()
	}}
}

func userDelete(c *cmdline) dbJob {
	return dbJob{run: func(ctx context.Context, x *dbEnv) error {
		acc, err := x.admin.ByLogin(ctx, c.fs.Arg(0))
		if err != nil {
			return err
		}
		if err := x.admin.DeleteAccount(ctx, acc.ID); err != nil {
			return err
		}
		fmt.Fprintf(x.stdout, "deleted %s and all its calendars\n", acc.Login)
		return nil
	}}
}

// userAdmin is `user admin LOGIN on|off`: the command line can always
// make or unmake an admin, also the last one, which the API refuses.
func userAdmin(c *cmdline) dbJob {
	return dbJob{
		prepare: func(io.Reader, io.Writer) ([]byte, error) {
			_, err := onOff(c)
			return nil, err
		},
		run: func(ctx context.Context, x *dbEnv) error {
			on, err := onOff(c)
			if err != nil {
				return err
			}
			acc, err := x.admin.ByLogin(ctx, c.fs.Arg(0))
			if err != nil {
				return err
			}
			if acc, err = x.admin.SetFlags(ctx, acc.ID, admin.Flags{Admin: &on}); err != nil {
				return err
			}
			if acc.Admin {
				fmt.Fprintf(x.stdout, "%s is a server admin\n", acc.Login)
			} else {
				fmt.Fprintf(x.stdout, "%s is not a server admin\n", acc.Login)
			}
			return nil
		},
	}
}

func onOff(c *cmdline) (bool, error) {
	switch c.fs.Arg(1) {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, &usageError{cmd: c.name, msg: fmt.Sprintf("%q: say on or off", c.fs.Arg(1))}
}

// userDisabled is `user disable` (disabled true) and `user enable`.
func userDisabled(disabled bool) func(c *cmdline) dbJob {
	return func(c *cmdline) dbJob {
		return dbJob{run: func(ctx context.Context, x *dbEnv) error {
			acc, err := x.admin.ByLogin(ctx, c.fs.Arg(0))
			if err != nil {
				return err
			}
			if acc, err = x.admin.SetFlags(ctx, acc.ID, admin.Flags{Disabled: &disabled}); err != nil {
				return err
			}
			if acc.Disabled {
				fmt.Fprintf(x.stdout, "disabled %s: it cannot log in; its data stays\n", acc.Login)
			} else {
				fmt.Fprintf(x.stdout, "enabled %s\n", acc.Login)
			}
			return nil
		}}
	}
}

// readNewPassword reads a password for login and applies the API's rule
// to it (admin.CheckPassword), so the command line is no back door for
// a password the account settings would refuse. It returns the password
// as the line a command's run reads.
func readNewPassword(stdin io.Reader, stderr io.Writer, login string) ([]byte, error) {
	pw, err := readPassword(stdin, stderr)
	if err != nil {
		return nil, err
	}
	if err := admin.CheckPassword(pw, login); err != nil {
		return nil, err
	}
	return []byte(pw + "\n"), nil
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
