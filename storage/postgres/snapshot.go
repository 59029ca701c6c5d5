package postgres

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"almanac/storage"
)

// A snapshot is a logical copy in a format of this package: a header
// naming the schema version and each table with the length of its part,
// then each table's rows as COPY's text format, all read in one
// repeatable-read transaction. Running pg_dump is not the server's to
// do (it may not be installed, nor of the server's version); operators
// who back the database up with PostgreSQL's own tools keep doing so.
// Snapshot spools the copy to a temporary file, so the transaction ends
// before WriteTo and writers never wait for a slow reader; Restore
// loads it into an empty database of the same schema version.

const snapshotMagic = "almanac-postgres-snapshot 1"

// snapshotTables are the tables a snapshot holds, parents before
// children so that Restore satisfies every foreign key as it goes.
var snapshotTables = []string{
	"store_meta", "accounts", "collections", "objects", "timeline_periods", "changes", "links", "grants",
	"app_passwords", "sessions", "tokens", "organizations", "members", "mail_services",
	"mail_domains", "mailboxes", "mail_names", "mailbox_links", "import_jobs",
	"responders", "responder_templates", "sending_addresses",
}

// identities are the identity columns whose sequences Restore moves
// past the restored rows.
var identities = [][2]string{{"collections", "id"}, {"mail_names", "position"}}

type snapshot struct {
	info   storage.SnapshotInfo
	header string
	file   *os.File
	closed bool
}

func (s *Store) Snapshot(ctx context.Context) (storage.Snapshot, error) {
	const op = "snapshot"
	if err := ctx.Err(); err != nil {
		return nil, wrap(op, err)
	}
	f, err := os.CreateTemp("", "almanac-pg-snapshot-*")
	if err != nil {
		return nil, wrap(op, err)
	}
	// Unlinked at once: the open file is all that is needed, and nothing
	// is left behind if the process dies.
	_ = os.Remove(f.Name())
	snap := &snapshot{file: f, info: storage.SnapshotInfo{Backend: "postgres", Schema: strconv.Itoa(SchemaVersion())}}
	var header strings.Builder
	fmt.Fprintf(&header, "%s\nschema %d\ntables %d\n", snapshotMagic, SchemaVersion(), len(snapshotTables))
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		f.Close()
		return nil, wrap(op, err)
	}
	defer conn.Release()
	err = pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := untimed(ctx, tx); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM collections), (SELECT count(*) FROM objects)`).
			Scan(&snap.info.Accounts, &snap.info.Collections, &snap.info.Objects)
		if err != nil {
			return err
		}
		for _, t := range snapshotTables {
			start, err := f.Seek(0, io.SeekCurrent)
			if err != nil {
				return err
			}
			if _, err := conn.Conn().PgConn().CopyTo(ctx, f, `COPY `+t+` TO STDOUT`); err != nil {
				return fmt.Errorf("copy %s: %w", t, err)
			}
			end, err := f.Seek(0, io.SeekCurrent)
			if err != nil {
				return err
			}
			fmt.Fprintf(&header, "%s %d\n", t, end-start)
		}
		return nil
	})
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, wrap(op, err)
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, wrap(op, err)
	}
	snap.header = header.String()
	snap.info.Size = int64(len(snap.header)) + size
	return snap, nil
}

func (s *snapshot) Info() storage.SnapshotInfo { return s.info }

func (s *snapshot) WriteTo(w io.Writer) (int64, error) {
	if s.closed {
		return 0, errors.New("storage/postgres: snapshot: closed")
	}
	n, err := io.WriteString(w, s.header)
	if err != nil {
		return int64(n), err
	}
	m, err := io.Copy(w, s.file)
	return int64(n) + m, err
}

func (s *snapshot) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.file.Close()
}

// Restore loads a snapshot into the empty database at url (migrating it
// first) in one transaction and returns the store. A database that
// holds any account is refused, as is a snapshot of another schema
// version.
func Restore(ctx context.Context, url string, r io.Reader, opts Options) (*Store, error) {
	const op = "restore"
	s, err := Open(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	if err := s.restore(ctx, bufio.NewReader(r)); err != nil {
		s.Close()
		// Not wrap: a snapshot cut short ends in io.EOF, which is no
		// sign of the database being away.
		return nil, fmt.Errorf("storage/postgres: %s: %w", op, err)
	}
	return s, nil
}

func (s *Store) restore(ctx context.Context, br *bufio.Reader) error {
	line := func() (string, error) {
		l, err := br.ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("header: %w", err)
		}
		return strings.TrimSuffix(l, "\n"), nil
	}
	if l, err := line(); err != nil || l != snapshotMagic {
		return fmt.Errorf("not a PostgreSQL snapshot of almanac (%v)", err)
	}
	l, err := line()
	if err != nil {
		return err
	}
	if want := fmt.Sprintf("schema %d", SchemaVersion()); l != want {
		return fmt.Errorf("snapshot has %q, this build reads %q", l, want)
	}
	if l, err = line(); err != nil {
		return err
	}
	n, err := strconv.Atoi(strings.TrimPrefix(l, "tables "))
	if err != nil || n != len(snapshotTables) {
		return fmt.Errorf("header: bad table count %q", l)
	}
	sizes := make([]int64, n)
	for i, t := range snapshotTables {
		if l, err = line(); err != nil {
			return err
		}
		name, size, ok := strings.Cut(l, " ")
		if sizes[i], err = strconv.ParseInt(size, 10, 64); !ok || name != t || err != nil || sizes[i] < 0 {
			return fmt.Errorf("header: table %d is %q, want %s and its size", i, l, t)
		}
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if err := untimed(ctx, tx); err != nil {
			return err
		}
		if used, err := exists(ctx, tx, `SELECT 1 FROM accounts UNION ALL SELECT 1 FROM organizations`); err != nil || used {
			if err == nil {
				err = errors.New("the target database is not empty")
			}
			return err
		}
		for i, t := range snapshotTables {
			lr := io.LimitReader(br, sizes[i])
			if _, err := conn.Conn().PgConn().CopyFrom(ctx, lr, `COPY `+t+` FROM STDIN`); err != nil {
				return fmt.Errorf("copy %s: %w", t, err)
			}
			if _, err := io.Copy(io.Discard, lr); err != nil {
				return fmt.Errorf("copy %s: %w", t, err)
			}
		}
		for _, id := range identities {
			if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(`+id[1]+`), 0) + 1, false) FROM `+id[0],
				id[0], id[1]); err != nil {
				return err
			}
		}
		return nil
	})
}
