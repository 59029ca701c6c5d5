package mailimport

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"mime"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"almanac/storage"
)

// Tuning of the copy.
const (
	// fetchBatch is how many messages one FETCH of bodies asks for, and
	// batchBytes how many bytes at most: the server streams them while
	// the destination stores the ones before.
	fetchBatch = 64
	batchBytes = 32 << 20
	// appendWindow is how many APPENDs may await their answer at once.
	appendWindow = 16
	// maxFolderErrors is how many failures a folder names; the rest are
	// counted.
	maxFolderErrors = 5
)

// headerItems are the header fields fetched for every message: its
// identity (identity.go) and its subject, to name it in a failure.
var headerItems = []string{"MESSAGE-ID", "RECEIVED", "SUBJECT"}

// errCancelled is the cause of a job's context when its owner stops it.
var errCancelled = errors.New("mailimport: cancelled")

// srcMsg is a source message as the header scan saw it.
type srcMsg struct {
	uid     imap.UID
	flags   []imap.Flag
	date    time.Time
	size    int64
	key     string // "" until the content is hashed
	subject string
}

func (m *srcMsg) deleted() bool { return slices.Contains(m.flags, imap.FlagDeleted) }

// What becomes of a source message.
type actionKind int

const (
	actCounted actionKind = iota // accounted for before a restart
	actSkip                      // already at the destination, or a duplicate
	actAdopt                     // appended before a restart: count it as copied
	actCopy                      // append it
)

type action struct {
	m    *srcMsg
	kind actionKind
}

// copier copies one source of a job into the destination.
type copier struct {
	r      *Service
	jobID  string
	si     int
	src    *session
	dst    *session
	source storage.ImportSource // the progress, saved at checkpoints
	saved  time.Time
	dirty  int
	dec    mime.WordDecoder
	// dstPartial is set when an APPEND was left with its message cut
	// short: the destination connection must be closed, not reused.
	dstPartial bool
}

// copySource copies source si of job with the password given. A nil
// error means every folder was gone through (some perhaps with failed
// messages); a *connError or another error leaves the progress saved
// for the next attempt. ctx is the job's: its end cuts the source at
// once; the destination connection lives as long as dctx (the
// server's), so that the APPENDs sent before a cancel are answered and
// counted, and the count the user is given is what the mailbox holds.
func (r *Service) copySource(ctx, dctx context.Context, job *storage.ImportJob, si int, password string) error {
	src := job.Sources[si]
	c := &copier{r: r, jobID: job.ID, si: si, source: src, saved: time.Now()}
	var err error
	c.src, err = r.dial.login(ctx, Endpoint{Host: src.Host, Port: src.Port, Security: src.Security}, src.Address, password)
	if err != nil {
		return err
	}
	defer c.src.Close()
	c.dst, err = r.dial.login(dctx, r.cfg.Destination, job.Destination+"*"+r.cfg.MasterUser, r.cfg.MasterSecret)
	if err != nil {
		var ce *connError
		if errors.As(err, &ce) && ce.kind == failAuth {
			return &destError{err: err}
		}
		return err
	}
	defer c.dst.Close()

	srcNS, srcFolders, err := c.folders(ctx, c.src)
	if err != nil {
		return err
	}
	dstNS, dstFolders, err := c.folders(ctx, c.dst)
	if err != nil {
		return err
	}
	p := planFolders(srcFolders, srcNS, dstFolders, dstNS)
	createErr := map[string]string{}
	for _, name := range p.Create {
		if err := c.create(ctx, name); err != nil {
			var ie *imap.Error
			if !errors.As(err, &ie) {
				return err
			}
			createErr[name] = "the folder " + name + " could not be created at the destination"
			r.log.WarnContext(ctx, "mailimport: create destination folder", "job", c.jobID, "folder", name, "err", err)
		}
	}
	c.merge(p)
	if err := c.save(ctx, true); err != nil {
		return err
	}
	for i := range c.source.Folders {
		f := &c.source.Folders[i]
		if f.Done {
			continue
		}
		if msg := createErr[f.Destination]; msg != "" {
			c.folderFailed(f, msg)
			continue
		}
		if err := c.copyFolder(ctx, f); err != nil {
			// Keep what was accounted for, whatever stopped the copy.
			if serr := c.write(context.WithoutCancel(ctx)); serr != nil {
				r.log.ErrorContext(ctx, "mailimport: save progress", "job", c.jobID, "err", serr)
			}
			return err
		}
		f.Done = true
		if err := c.save(ctx, true); err != nil {
			return err
		}
	}
	c.src.c.Logout()
	c.dst.c.Logout()
	return nil
}

// destError is the destination refusing almanac's master login: the
// mailbox was deleted, or Dovecot is not set up for imports. Retrying
// does not help.
type destError struct{ err error }

func (e *destError) Error() string { return "mailimport: destination login: " + e.err.Error() }
func (e *destError) Unwrap() error { return e.err }

// folders reads a server's personal namespace and folders.
func (c *copier) folders(ctx context.Context, s *session) (namespace, []folder, error) {
	var ns namespace
	caps := s.c.Caps()
	if caps.Has(imap.CapNamespace) {
		var data *imap.NamespaceData
		err := s.run(ctx, "namespace", func() (err error) {
			data, err = s.c.Namespace().Wait()
			return err
		})
		if err != nil {
			var ie *imap.Error
			if !errors.As(err, &ie) {
				return ns, nil, err
			}
		} else if len(data.Personal) > 0 {
			ns = namespace{Prefix: data.Personal[0].Prefix, Delim: data.Personal[0].Delim}
		}
	}
	var list []*imap.ListData
	err := s.run(ctx, "list", func() (err error) {
		list, err = s.c.List("", "*", &imap.ListOptions{ReturnSpecialUse: caps.Has(imap.CapSpecialUse)}).Collect()
		return err
	})
	if err != nil {
		return ns, nil, err
	}
	out := make([]folder, 0, len(list))
	for _, l := range list {
		f := folder{Name: l.Mailbox, Delim: l.Delim}
		for _, a := range l.Attrs {
			f.Attrs = append(f.Attrs, string(a))
		}
		if ns.Delim == 0 {
			ns.Delim = l.Delim
		}
		out = append(out, f)
	}
	return ns, out, nil
}

// create makes a destination folder and subscribes to it, so that mail
// clients show it; one that exists already is fine.
func (c *copier) create(ctx context.Context, name string) error {
	err := c.dst.run(ctx, "create", func() error { return c.dst.c.Create(name, nil).Wait() })
	var ie *imap.Error
	if errors.As(err, &ie) && (ie.Code == imap.ResponseCodeAlreadyExists || strings.Contains(strings.ToLower(ie.Text), "exists")) {
		err = nil
	}
	if err != nil {
		return err
	}
	// A folder not subscribed is still there; some clients just hide it.
	if err := c.dst.run(ctx, "subscribe", func() error { return c.dst.c.Subscribe(name).Wait() }); err != nil {
		var ie *imap.Error
		if !errors.As(err, &ie) {
			return err
		}
	}
	return nil
}

// merge makes the source's folder list the plan's, keeping the progress
// of folders it had; a folder gone from the source since ends with a
// note.
func (c *copier) merge(p plan) {
	old := map[string]storage.ImportFolder{}
	for _, f := range c.source.Folders {
		old[f.Name] = f
	}
	var out []storage.ImportFolder
	for _, pl := range p.Folders {
		if f, ok := old[pl.Source]; ok {
			delete(old, pl.Source)
			out = append(out, f)
			continue
		}
		out = append(out, storage.ImportFolder{Name: pl.Source, Destination: pl.Dest, SpecialUse: pl.Use})
	}
	for _, f := range c.source.Folders {
		if _, gone := old[f.Name]; gone {
			if !f.Done {
				f.Done = true
				f.Errors = append(f.Errors, "the folder is no longer on the source")
			}
			out = append(out, f)
		}
	}
	c.source.Folders = out
}

func (c *copier) folderFailed(f *storage.ImportFolder, msg string) {
	f.Done = true
	if len(f.Errors) < maxFolderErrors {
		f.Errors = append(f.Errors, msg)
	}
}

// failMessage counts a message that could not be copied, with why.
func (c *copier) failMessage(f *storage.ImportFolder, m *srcMsg, why string) {
	f.Failed++
	if len(f.Errors) < maxFolderErrors {
		f.Errors = append(f.Errors, describe(m)+": "+why)
	}
}

// describe names a message for the user: its subject and date.
func describe(m *srcMsg) string {
	subject := m.subject
	if subject == "" {
		subject = "(no subject)"
	}
	if len(subject) > 80 {
		subject = subject[:77] + "..."
	}
	if m.date.IsZero() {
		return fmt.Sprintf("the message %q", subject)
	}
	return fmt.Sprintf("the message %q of %s", subject, m.date.Format("2 January 2006"))
}

// save writes the progress when forced, or when enough has changed; it
// reports a cancellation asked for meanwhile as errCancelled.
func (c *copier) save(ctx context.Context, force bool) error {
	if !force && c.dirty < c.r.cfg.checkpointMessages && time.Since(c.saved) < c.r.cfg.checkpointEvery {
		return nil
	}
	cancelled, err := c.writeProgress(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	if cancelled {
		return errCancelled
	}
	return ctx.Err()
}

// write saves the progress now.
func (c *copier) write(ctx context.Context) error {
	_, err := c.writeProgress(ctx)
	return err
}

// writeProgress saves the folders' progress into the job and reports
// whether its owner asked to cancel it.
func (c *copier) writeProgress(ctx context.Context) (bool, error) {
	folders := slices.Clone(c.source.Folders)
	j, err := c.r.store.UpdateImportJob(ctx, c.jobID, func(j *storage.ImportJob) error {
		if c.si >= len(j.Sources) {
			return fmt.Errorf("mailimport: job %s has no source %d", j.ID, c.si)
		}
		j.Sources[c.si].Folders = slices.Clone(folders)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("mailimport: save progress: %w", err)
	}
	c.saved, c.dirty = time.Now(), 0
	return j.Cancel, nil
}

// copyFolder copies one folder: the messages of the source not yet at
// the destination, in UID order, accounting for each in f.
func (c *copier) copyFolder(ctx context.Context, f *storage.ImportFolder) error {
	var sel *imap.SelectData
	err := c.src.run(ctx, "select", func() (err error) {
		sel, err = c.src.c.Select(f.Name, &imap.SelectOptions{ReadOnly: true}).Wait()
		return err
	})
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) {
			c.folderFailed(f, "the folder could not be opened on the source")
			return nil
		}
		return err
	}
	if f.UIDValidity != 0 && f.UIDValidity != sel.UIDValidity {
		// The source renumbered the folder: its progress means nothing
		// now. The destination scan still keeps what was copied from
		// being copied again.
		*f = storage.ImportFolder{Name: f.Name, Destination: f.Destination, SpecialUse: f.SpecialUse}
	}
	f.UIDValidity = sel.UIDValidity
	msgs, err := c.scanSource(ctx, sel.NumMessages)
	if err != nil {
		return err
	}
	// Messages marked deleted wait for an expunge: they are left out,
	// as a mail client no longer shows them.
	msgs = slices.DeleteFunc(msgs, (*srcMsg).deleted)
	f.Found = len(msgs)
	needContent := slices.ContainsFunc(msgs, func(m *srcMsg) bool { return m.key == "" })
	if needContent {
		if err := c.hashContents(ctx, c.src, msgs); err != nil {
			return err
		}
	}

	var st *imap.StatusData
	err = c.dst.run(ctx, "status", func() (err error) {
		st, err = c.dst.c.Status(f.Destination, &imap.StatusOptions{UIDNext: true, UIDValidity: true}).Wait()
		return err
	})
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) {
			c.folderFailed(f, "the folder "+f.Destination+" could not be opened at the destination")
			return nil
		}
		return err
	}
	if f.DestUIDNext == 0 || f.DestUIDValidity != st.UIDValidity {
		// Recorded before the first append, so that after a restart what
		// this job appended is told from what was there.
		f.DestUIDValidity, f.DestUIDNext = st.UIDValidity, uint32(st.UIDNext)
		if err := c.save(ctx, true); err != nil {
			return err
		}
	}
	present, ours, err := c.scanDest(ctx, f.Destination, imap.UID(f.DestUIDNext), needContent)
	if err != nil {
		return err
	}
	if f.SpecialUse == useAll {
		// Gmail's All Mail holds every message of every label: copy only
		// what no other folder brought.
		if err := c.scanOthers(ctx, f.Destination, present, needContent); err != nil {
			return err
		}
	}
	return c.run(ctx, f, decide(f, msgs, present, ours))
}

// decide says what becomes of each message, in UID order. The same key
// twice in the source is copied once.
func decide(f *storage.ImportFolder, msgs []*srcMsg, present, ours map[string]int) []action {
	claimed := map[string]bool{}
	out := make([]action, 0, len(msgs))
	for _, m := range msgs {
		kind := actCopy
		switch {
		case uint32(m.uid) <= f.LastUID:
			kind = actCounted
			if !claimed[m.key] && ours[m.key] > 0 {
				ours[m.key]--
			}
		case claimed[m.key], present[m.key] > 0:
			kind = actSkip
		case ours[m.key] > 0:
			ours[m.key]--
			kind = actAdopt
		}
		claimed[m.key] = true
		out = append(out, action{m: m, kind: kind})
	}
	return out
}

// scanSource reads every message's UID, flags, date, size and identity
// headers from the selected source folder, in UID order.
func (c *copier) scanSource(ctx context.Context, count uint32) ([]*srcMsg, error) {
	if count == 0 {
		return nil, nil
	}
	var out []*srcMsg
	err := c.src.run(ctx, "scan", func() error {
		cmd := c.src.c.Fetch(imap.UIDSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{
			UID: true, Flags: true, InternalDate: true, RFC822Size: true,
			BodySection: []*imap.FetchItemBodySection{{Specifier: imap.PartSpecifierHeader, HeaderFields: headerItems, Peek: true}},
		})
		defer cmd.Close()
		for {
			data := cmd.Next()
			if data == nil {
				break
			}
			buf, err := data.Collect()
			if err != nil {
				return err
			}
			m := &srcMsg{uid: buf.UID, flags: keepFlags(buf.Flags), date: buf.InternalDate, size: buf.RFC822Size}
			for _, bs := range buf.BodySection {
				m.key, _ = headerKey(bs.Bytes)
				m.subject = c.subject(bs.Bytes)
			}
			if m.uid != 0 {
				out = append(out, m)
			}
		}
		return cmd.Close()
	})
	slices.SortFunc(out, func(a, b *srcMsg) int { return int(a.uid) - int(b.uid) })
	return out, err
}

// keepFlags drops what APPEND cannot set: \Recent belongs to the
// session that first sees a message.
func keepFlags(flags []imap.Flag) []imap.Flag {
	return slices.DeleteFunc(slices.Clone(flags), func(f imap.Flag) bool { return strings.EqualFold(string(f), `\Recent`) })
}

func (c *copier) subject(header []byte) string {
	for _, f := range headerFields(header) {
		if strings.EqualFold(string(f.name), "subject") {
			s := string(normalizeSpace(f.value))
			if d, err := c.dec.DecodeHeader(s); err == nil {
				return d
			}
			return s
		}
	}
	return ""
}

// hashContents gives the messages without a key the key of their
// content, reading them from the selected folder of s.
func (c *copier) hashContents(ctx context.Context, s *session, msgs []*srcMsg) error {
	var uids imap.UIDSet
	byUID := map[imap.UID]*srcMsg{}
	for _, m := range msgs {
		if m.key == "" {
			uids.AddNum(m.uid)
			byUID[m.uid] = m
		}
	}
	return s.run(ctx, "fetch", func() error {
		cmd := s.c.Fetch(uids, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
		defer cmd.Close()
		for {
			data := cmd.Next()
			if data == nil {
				break
			}
			var uid imap.UID
			for item := data.Next(); item != nil; item = data.Next() {
				switch item := item.(type) {
				case imapclient.FetchItemDataUID:
					uid = item.UID
				case imapclient.FetchItemDataBodySection:
					if item.Literal == nil {
						continue
					}
					h := sha256.New()
					if n, err := io.Copy(h, item.Literal); err != nil || n != item.Literal.Size() {
						s.abort()
						return cmp.Or(err, io.ErrUnexpectedEOF)
					}
					if m := byUID[uid]; m != nil {
						m.key = contentKey(h.Sum(nil))
					}
				}
			}
		}
		return cmd.Close()
	})
}

// scanDest counts the keys of the destination folder's messages:
// present those that were there before the job, ours those it appended
// (UIDs from uidNext on). Content keys are computed only when the
// source needs them.
func (c *copier) scanDest(ctx context.Context, name string, uidNext imap.UID, needContent bool) (present, ours map[string]int, err error) {
	present, ours = map[string]int{}, map[string]int{}
	msgs, err := c.scanDestFolder(ctx, name, needContent)
	for _, m := range msgs {
		if m.uid >= uidNext {
			ours[m.key]++
		} else {
			present[m.key]++
		}
	}
	return present, ours, err
}

// scanOthers adds the keys of every destination folder but skip to
// present.
func (c *copier) scanOthers(ctx context.Context, skip string, present map[string]int, needContent bool) error {
	_, all, err := c.folders(ctx, c.dst)
	if err != nil {
		return err
	}
	for _, f := range all {
		if f.Name == skip || f.has(attrNoSelect) || f.has(attrNonExist) {
			continue
		}
		msgs, err := c.scanDestFolder(ctx, f.Name, needContent)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			present[m.key]++
		}
	}
	return nil
}

func (c *copier) scanDestFolder(ctx context.Context, name string, needContent bool) ([]*srcMsg, error) {
	var sel *imap.SelectData
	err := c.dst.run(ctx, "examine", func() (err error) {
		sel, err = c.dst.c.Select(name, &imap.SelectOptions{ReadOnly: true}).Wait()
		return err
	})
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) {
			// Not there (yet): nothing in it.
			return nil, nil
		}
		return nil, err
	}
	var msgs []*srcMsg
	if sel.NumMessages > 0 {
		err = c.dst.run(ctx, "scan", func() error {
			cmd := c.dst.c.Fetch(imap.UIDSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true,
				BodySection: []*imap.FetchItemBodySection{{Specifier: imap.PartSpecifierHeader, HeaderFields: headerItems[:2], Peek: true}}})
			defer cmd.Close()
			for {
				data := cmd.Next()
				if data == nil {
					break
				}
				buf, err := data.Collect()
				if err != nil {
					return err
				}
				m := &srcMsg{uid: buf.UID}
				for _, bs := range buf.BodySection {
					m.key, _ = headerKey(bs.Bytes)
				}
				msgs = append(msgs, m)
			}
			return cmd.Close()
		})
		if err == nil && needContent && slices.ContainsFunc(msgs, func(m *srcMsg) bool { return m.key == "" }) {
			err = c.hashContents(ctx, c.dst, msgs)
		}
	}
	if err != nil {
		return nil, err
	}
	err = c.dst.run(ctx, "unselect", func() error { return c.dst.c.Unselect().Wait() })
	var ie *imap.Error
	if err != nil && !errors.As(err, &ie) {
		return nil, err
	}
	return msgs, nil
}

// pending is an APPEND awaiting its answer, which a goroutine of its
// own waits for, so that answers are taken as they come.
type pending struct {
	m   *srcMsg
	res chan error
}

// run carries out the actions in order, accounting for each in f and
// moving f.LastUID over what is accounted for.
func (c *copier) run(ctx context.Context, f *storage.ImportFolder, acts []action) error {
	// done marks accounted actions; next is the first not accounted.
	done := make([]bool, len(acts))
	index := map[imap.UID]int{}
	for i, a := range acts {
		index[a.m.uid] = i
	}
	next := 0
	advance := func() {
		for next < len(acts) && done[next] {
			f.LastUID = max(f.LastUID, uint32(acts[next].m.uid))
			next++
		}
	}
	account := func(i int, fn func()) error {
		fn()
		done[i] = true
		c.dirty++
		advance()
		return c.save(ctx, false)
	}
	for i := 0; i < len(acts); {
		a := acts[i]
		if a.kind != actCopy {
			var err error
			switch a.kind {
			case actCounted:
				done[i] = true
				advance()
			case actSkip:
				err = account(i, func() { f.Skipped++ })
			case actAdopt:
				err = account(i, func() { f.Copied++; f.Bytes += a.m.size })
			}
			if err != nil {
				return err
			}
			i++
			continue
		}
		// A batch of messages to copy, in one FETCH.
		var uids imap.UIDSet
		var size int64
		start := i
		for i < len(acts) && acts[i].kind == actCopy && i-start < fetchBatch && (size < batchBytes || i == start) {
			uids.AddNum(acts[i].m.uid)
			size += acts[i].m.size
			i++
		}
		batch := map[imap.UID]*srcMsg{}
		for j := start; j < i; j++ {
			batch[acts[j].m.uid] = acts[j].m
		}
		got := map[imap.UID]bool{}
		err := c.copyBatch(ctx, f, uids, batch, func(uid imap.UID, fn func()) error {
			got[uid] = true
			return account(index[uid], fn)
		})
		if err != nil {
			return err
		}
		// Messages the FETCH did not return were expunged meanwhile.
		for j := start; j < i; j++ {
			if !got[acts[j].m.uid] {
				if err := account(j, func() { f.Found-- }); err != nil {
					return err
				}
			}
		}
	}
	return c.save(ctx, true)
}

// copyBatch fetches the messages batch (by UID) from the selected
// source folder and appends each to the destination as it arrives, with
// up to appendWindow APPENDs awaiting their answer; account is called
// once per message the source returned, when its fate is known.
func (c *copier) copyBatch(ctx context.Context, f *storage.ImportFolder, uids imap.UIDSet, batch map[imap.UID]*srcMsg, account func(imap.UID, func()) error) error {
	var queue []pending
	// settle accounts for the APPENDs at the front of the queue whose
	// answer came; with block it waits for the first one. An answer
	// that is not the server's (the connection broke) stops it: whether
	// that message was stored is unknown, and the next attempt's scan of
	// the destination tells.
	settle := func(block bool) error {
		for len(queue) > 0 {
			p := queue[0]
			var aerr error
			if block {
				// The source waits meanwhile, which is no stall of its.
				c.src.g.end()
				err := c.dst.run(ctx, "append", func() error {
					aerr = <-p.res
					var ie *imap.Error
					if errors.As(aerr, &ie) {
						return nil
					}
					return aerr
				})
				c.src.g.begin()
				if err != nil {
					return err
				}
				block = false
			} else {
				select {
				case aerr = <-p.res:
				default:
					return nil
				}
				var ie *imap.Error
				if aerr != nil && !errors.As(aerr, &ie) {
					return &connError{kind: failLost, ep: c.dst.ep, op: "append to", err: aerr}
				}
			}
			queue = queue[1:]
			var err error
			if aerr != nil {
				err = account(p.m.uid, func() { c.failMessage(f, p.m, appendWords(aerr)) })
			} else {
				err = account(p.m.uid, func() { f.Copied++; f.Bytes += p.m.size })
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	err := c.src.run(ctx, "fetch", func() error {
		cmd := c.src.c.Fetch(uids, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
		defer cmd.Close()
		for {
			data := cmd.Next()
			if data == nil {
				break
			}
			var uid imap.UID
			for item := data.Next(); item != nil; item = data.Next() {
				switch item := item.(type) {
				case imapclient.FetchItemDataUID:
					uid = item.UID
				case imapclient.FetchItemDataBodySection:
					m := batch[uid]
					if m == nil || item.Literal == nil {
						continue
					}
					p, err := c.appendOne(ctx, f.Destination, m, item.Literal)
					if err != nil {
						c.src.abort()
						return err
					}
					queue = append(queue, p)
					if err := settle(len(queue) >= appendWindow); err != nil {
						return err
					}
				}
			}
		}
		return cmd.Close()
	})
	if err != nil {
		// What was stored before the failure still counts: the APPENDs
		// sent are answered, in order, before the destination reads any
		// further (a message cut short is never completed, and the
		// connection is closed after, which aborts it).
		c.drain(f, queue, account)
		if c.dstPartial {
			c.dst.Close()
		}
		return err
	}
	for len(queue) > 0 {
		if err := settle(true); err != nil {
			return err
		}
	}
	return nil
}

// drain waits for the answers of the APPENDs in queue and accounts for
// them, as long as the destination answers; the progress is saved by
// the caller. A failure to save or a cancellation does not stop it: the
// messages are stored either way.
func (c *copier) drain(f *storage.ImportFolder, queue []pending, account func(imap.UID, func()) error) {
	for _, p := range queue {
		c.dst.g.begin()
		aerr := <-p.res
		c.dst.g.end()
		var ie *imap.Error
		switch {
		case aerr == nil:
			account(p.m.uid, func() { f.Copied++; f.Bytes += p.m.size })
		case errors.As(aerr, &ie):
			account(p.m.uid, func() { c.failMessage(f, p.m, appendWords(aerr)) })
		default:
			// The connection broke: whether these are stored the next
			// attempt's scan of the destination tells.
			return
		}
	}
}

// appendOne starts the APPEND of m, streaming its bytes from the source
// literal, with its flags and internal date. If the source breaks
// mid-message, the destination connection is closed, so that no partial
// message is stored, and the source's error returned. A destination
// that refuses the message (or breaks) answers through the pending
// command; the rest of the literal is read anyway, so that the source's
// FETCH can go on.
func (c *copier) appendOne(ctx context.Context, dest string, m *srcMsg, lit imap.LiteralReader) (pending, error) {
	m.size = lit.Size()
	c.dst.g.begin()
	cmd := c.dst.c.Append(dest, m.size, &imap.AppendOptions{Flags: m.flags, Time: m.date})
	srcErr := copyLiteral(cmd, lit, m.size)
	if srcErr == nil {
		cmd.Close()
	}
	c.dst.g.end()
	if srcErr != nil {
		// Not closing the command leaves the literal short: the
		// destination waits for the rest, which never comes, and the
		// caller closes the connection once the APPENDs before are
		// answered.
		c.dstPartial = true
		if ctxErr := ctx.Err(); ctxErr != nil {
			return pending{}, ctxErr
		}
		kind := failLost
		if c.src.g.stalled.Load() {
			kind = failTimeout
		}
		return pending{}, &connError{kind: kind, ep: c.src.ep, op: "fetch from", err: srcErr}
	}
	p := pending{m: m, res: make(chan error, 1)}
	go func() {
		_, err := cmd.Wait()
		p.res <- err
	}()
	return p, nil
}

// copyLiteral copies the size bytes of r to w and returns r's error,
// io.ErrUnexpectedEOF when r ends early (a literal cut short by a broken
// connection reads as a short one); after a failed write it keeps
// reading r to its end, writing no more.
func copyLiteral(w io.Writer, r io.Reader, size int64) error {
	buf := make([]byte, 64<<10)
	writing := true
	var read int64
	for {
		n, err := r.Read(buf)
		read += int64(n)
		if n > 0 && writing {
			if _, werr := w.Write(buf[:n]); werr != nil {
				writing = false
			}
		}
		if err == io.EOF {
			if read != size {
				return io.ErrUnexpectedEOF
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// appendWords says why the destination refused a message.
func appendWords(err error) string {
	var ie *imap.Error
	if errors.As(err, &ie) {
		switch ie.Code {
		case imap.ResponseCodeOverQuota:
			return "the destination mailbox is full"
		case imap.ResponseCodeTooBig, imap.ResponseCodeLimit:
			return "it is larger than the destination accepts"
		case imap.ResponseCodeTryCreate, imap.ResponseCodeNonExistent:
			return "its folder does not exist at the destination"
		}
	}
	return "the destination refused it"
}
