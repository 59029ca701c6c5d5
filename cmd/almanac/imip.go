package main

import (
	"context"
	"fmt"
	"io"

	"almanac/caldav"
	"almanac/schedule"
)

// imipCommands: `almanac imip deliver` applies an iMIP reply or files a
// counter-proposal (RFC 6047) that the mail server pipes in
// (schedule.Service.Deliver has the rules). It is a database command, so it works while the server runs.
var imipCommands = []*dbCommand{
	{name: "imip deliver", define: imipDeliver},
}

func imipCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	name, err := subcommand("imip", args, stdout, "deliver")
	if err != nil {
		return err
	}
	return runDB(dbCommands[name], args[1:], stdin, stdout, stderr)
}

func imipDeliver(c *cmdline) dbJob {
	sender := c.str("sender", "", "", "envelope sender `ADDRESS` of the message (Postfix pipe: ${sender}); when given it must be the From address", nil)
	return dbJob{
		// The message travels as the job's input, read here in the
		// CLI under the same cap the service applies.
		prepare: func(stdin io.Reader, _ io.Writer) ([]byte, error) {
			msg, err := io.ReadAll(io.LimitReader(stdin, schedule.MaxIMIPBytes+1))
			if err != nil {
				return nil, fmt.Errorf("imip deliver: read message: %w", err)
			}
			if len(msg) > schedule.MaxIMIPBytes {
				return nil, schedule.ErrIMIPTooLarge
			}
			return msg, nil
		},
		run: func(ctx context.Context, x *dbEnv) error {
			msg, err := io.ReadAll(io.LimitReader(x.stdin, schedule.MaxIMIPBytes+1))
			if err != nil {
				return fmt.Errorf("imip deliver: read message: %w", err)
			}
			cal := caldav.New(x.store, caldav.Options{})
			svc := schedule.New(x.store, schedule.Options{Ingest: cal.Ingest})
			line, err := svc.Deliver(ctx, msg, *sender)
			if err != nil {
				return err
			}
			fmt.Fprintln(x.stdout, line)
			return nil
		},
	}
}
