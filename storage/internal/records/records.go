// Package records holds the stored forms of the data both backends keep
// as JSON documents (import jobs, responder settings), so that bbolt and
// PostgreSQL write the same bytes and a move between them copies records
// as they are. The JSON tags keep the format independent of the domain
// types' field names: a change here is a change of both databases'
// format.
package records

import (
	"slices"
	"time"

	"almanac/storage"
)

type ImportJob struct {
	ID          string         `json:"id"`
	Owner       string         `json:"owner"`
	Batch       string         `json:"batch,omitempty"`
	Service     string         `json:"service"`
	LocalPart   string         `json:"local_part"`
	Destination string         `json:"destination"`
	State       string         `json:"state"`
	Cancel      bool           `json:"cancel,omitempty"`
	Sources     []ImportSource `json:"sources"`
	Created     time.Time      `json:"created"`
	Updated     time.Time      `json:"updated"`
	Finished    time.Time      `json:"finished,omitzero"`
	Notified    bool           `json:"notified,omitempty"`
}

type ImportSource struct {
	Address  string         `json:"address"`
	Host     string         `json:"host"`
	Port     int            `json:"port"`
	Security string         `json:"security"`
	Secret   []byte         `json:"secret,omitempty"`
	State    string         `json:"state"`
	Attempts int            `json:"attempts,omitempty"`
	RetryAt  time.Time      `json:"retry_at,omitzero"`
	Error    string         `json:"error,omitempty"`
	Folders  []ImportFolder `json:"folders,omitempty"`
}

type ImportFolder struct {
	Name            string   `json:"name"`
	Destination     string   `json:"destination"`
	SpecialUse      string   `json:"special_use,omitempty"`
	Found           int      `json:"found"`
	Copied          int      `json:"copied"`
	Skipped         int      `json:"skipped"`
	Failed          int      `json:"failed"`
	Bytes           int64    `json:"bytes"`
	UIDValidity     uint32   `json:"uid_validity,omitempty"`
	LastUID         uint32   `json:"last_uid,omitempty"`
	DestUIDValidity uint32   `json:"dest_uid_validity,omitempty"`
	DestUIDNext     uint32   `json:"dest_uid_next,omitempty"`
	Done            bool     `json:"done,omitempty"`
	Errors          []string `json:"errors,omitempty"`
}

// FromImportJob is the stored form of j.
func FromImportJob(j *storage.ImportJob) *ImportJob {
	r := &ImportJob{ID: j.ID, Owner: j.Owner, Batch: j.Batch, Service: j.Service, LocalPart: j.LocalPart,
		Destination: j.Destination, State: j.State, Cancel: j.Cancel, Created: j.Created, Updated: j.Updated,
		Finished: j.Finished, Notified: j.Notified, Sources: []ImportSource{}}
	for _, s := range j.Sources {
		sr := ImportSource{Address: s.Address, Host: s.Host, Port: s.Port, Security: s.Security,
			Secret: slices.Clone(s.Secret), State: s.State, Attempts: s.Attempts, RetryAt: s.RetryAt, Error: s.Error}
		for _, f := range s.Folders {
			sr.Folders = append(sr.Folders, ImportFolder{Name: f.Name, Destination: f.Destination,
				SpecialUse: f.SpecialUse, Found: f.Found, Copied: f.Copied, Skipped: f.Skipped, Failed: f.Failed,
				Bytes: f.Bytes, UIDValidity: f.UIDValidity, LastUID: f.LastUID, DestUIDValidity: f.DestUIDValidity,
				DestUIDNext: f.DestUIDNext, Done: f.Done, Errors: slices.Clone(f.Errors)})
		}
		r.Sources = append(r.Sources, sr)
	}
	return r
}

// Job is the job r stores.
func (r *ImportJob) Job() *storage.ImportJob {
	j := &storage.ImportJob{ID: r.ID, Owner: r.Owner, Batch: r.Batch, Service: r.Service, LocalPart: r.LocalPart,
		Destination: r.Destination, State: r.State, Cancel: r.Cancel, Created: r.Created, Updated: r.Updated,
		Finished: r.Finished, Notified: r.Notified}
	for _, s := range r.Sources {
		src := storage.ImportSource{Address: s.Address, Host: s.Host, Port: s.Port, Security: s.Security,
			Secret: slices.Clone(s.Secret), State: s.State, Attempts: s.Attempts, RetryAt: s.RetryAt, Error: s.Error}
		for _, f := range s.Folders {
			src.Folders = append(src.Folders, storage.ImportFolder{Name: f.Name, Destination: f.Destination,
				SpecialUse: f.SpecialUse, Found: f.Found, Copied: f.Copied, Skipped: f.Skipped, Failed: f.Failed,
				Bytes: f.Bytes, UIDValidity: f.UIDValidity, LastUID: f.LastUID, DestUIDValidity: f.DestUIDValidity,
				DestUIDNext: f.DestUIDNext, Done: f.Done, Errors: slices.Clone(f.Errors)})
		}
		j.Sources = append(j.Sources, src)
	}
	return j
}

type ResponderSettings struct {
	Name       string   `json:"name"`
	Subject    string   `json:"subject,omitempty"`
	Text       string   `json:"text,omitempty"`
	HTML       string   `json:"html,omitempty"`
	TimeZone   string   `json:"time_zone,omitempty"`
	Start      string   `json:"start,omitempty"`
	End        string   `json:"end,omitempty"`
	Weekdays   []int    `json:"weekdays,omitempty"`
	From       string   `json:"from,omitempty"`
	Exclusions []string `json:"exclusions,omitempty"`
}

// FromResponderSettings is the stored form of s: weekdays sorted and
// without repeats.
func FromResponderSettings(s *storage.ResponderSettings) ResponderSettings {
	var days []int
	for _, d := range s.Weekdays {
		days = append(days, int(d))
	}
	slices.Sort(days)
	return ResponderSettings{
		Name: s.Name, Subject: s.Subject, Text: s.Text, HTML: s.HTML, TimeZone: s.TimeZone,
		Start: s.Start, End: s.End, Weekdays: slices.Compact(days), From: s.From,
		Exclusions: slices.Clone(s.Exclusions),
	}
}

// Settings are the settings r stores.
func (r *ResponderSettings) Settings() storage.ResponderSettings {
	var days []time.Weekday
	for _, d := range r.Weekdays {
		days = append(days, time.Weekday(d))
	}
	s := storage.ResponderSettings{
		Name: r.Name, Subject: r.Subject, Text: r.Text, HTML: r.HTML, TimeZone: r.TimeZone,
		Start: r.Start, End: r.End, Weekdays: days, From: r.From, Exclusions: slices.Clone(r.Exclusions),
	}
	if len(s.Exclusions) == 0 {
		s.Exclusions = nil
	}
	return s
}
