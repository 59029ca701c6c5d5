package mailimport

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// MaxCSVRows is how many imports one CSV may start, as the guide's
// batch tool allows.
const MaxCSVRows = 25

// maxCSVErrors bounds how many problems one answer lists.
const maxCSVErrors = 10

// CSV columns. The first three are required; the IMAP ones may be left
// empty for a guess from the address.
const (
	colAddress     = "source_address"
	colPassword    = "source_password"
	colDestination = "destination"
	colHost        = "imap_host"
	colPort        = "imap_port"
	colSecurity    = "imap_security"
)

var csvColumns = []string{colAddress, colPassword, colDestination, colHost, colPort, colSecurity}

// Template is the CSV GET /api/v1/imports/template.csv serves: the
// header and one example row.
const Template = "source_address,source_password,destination,imap_host,imap_port,imap_security\r\n" +
	"anna@example.com,her-password-there,anna@domain.xyz,,,\r\n"

// csvRow is one import a CSV asks for; line is where it is in the file.
type csvRow struct {
	line              int
	address, password string
	destination       string
	endpoint          Endpoint
	guessed           bool
}

// csvProblem is one thing wrong in a CSV, where it is.
type csvProblem struct {
	Line   int    `json:"line"`
	Column string `json:"column,omitempty"`
	Msg    string `json:"message"`
}

func (p csvProblem) String() string {
	if p.Column == "" {
		return fmt.Sprintf("line %d: %s", p.Line, p.Msg)
	}
	return fmt.Sprintf("line %d, column %s: %s", p.Line, p.Column, p.Msg)
}

// csvError is every problem found in a CSV (at most maxCSVErrors).
type csvError struct {
	problems []csvProblem
	more     bool // more problems than listed
}

func (e *csvError) Error() string {
	var parts []string
	for _, p := range e.problems {
		parts = append(parts, p.String())
	}
	s := strings.Join(parts, "; ")
	if e.more {
		s += "; and more"
	}
	return s
}

func (e *csvError) add(line int, column, format string, args ...any) {
	if len(e.problems) == maxCSVErrors {
		e.more = true
		return
	}
	e.problems = append(e.problems, csvProblem{Line: line, Column: column, Msg: fmt.Sprintf(format, args...)})
}

// parseCSV reads the rows of an import CSV and checks every value it
// can check alone: addresses, host, port and security, at most
// MaxCSVRows rows, no source twice. The header names the columns in
// any order; a comma or, as spreadsheets in many languages save it, a
// semicolon separates them; a UTF-8 byte order mark is dropped. Every
// problem is reported (up to maxCSVErrors), each naming its line and
// column.
func parseCSV(data []byte) ([]csvRow, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = sniffComma(data)
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	bad := &csvError{}
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		bad.add(1, "", "the file is empty; start from the template (GET /api/v1/imports/template.csv)")
		return nil, bad
	}
	if err != nil {
		bad.add(csvErrLine(err, 1), "", "%s", csvErrText(err))
		return nil, bad
	}
	index := map[string]int{}
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		known := false
		for _, c := range csvColumns {
			known = known || c == name
		}
		switch {
		case !known:
			bad.add(1, columnLetter(i), "unknown column %q; the columns are %s", name, strings.Join(csvColumns, ", "))
		case index[name] != 0:
			bad.add(1, columnLetter(i), "column %q appears twice", name)
		default:
			index[name] = i + 1
		}
	}
	for _, c := range csvColumns[:3] {
		if index[c] == 0 {
			bad.add(1, "", "the header has no column %q", c)
		}
	}
	if len(bad.problems) > 0 {
		return nil, bad
	}
	var rows []csvRow
	seen := map[string]int{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			bad.add(csvErrLine(err, 0), "", "%s", csvErrText(err))
			break
		}
		line, _ := r.FieldPos(0)
		if len(rows) == MaxCSVRows {
			bad.add(line, "", "more than %d imports in one file; split it", MaxCSVRows)
			break
		}
		get := func(col string) string {
			i := index[col]
			if i == 0 || i > len(rec) {
				return ""
			}
			return rec[i-1]
		}
		if len(rec) > len(header) {
			bad.add(line, columnLetter(len(header)), "more values than the header has columns")
			continue
		}
		row := csvRow{line: line, password: get(colPassword)}
		var ok bool
		if row.address, err = checkAddress(get(colAddress)); err != nil {
			bad.add(line, colAddress, "the source address %v", err)
		} else {
			ok = true
		}
		if row.password == "" {
			bad.add(line, colPassword, "the source password is required")
			ok = false
		}
		if row.destination, err = checkAddress(get(colDestination)); err != nil {
			bad.add(line, colDestination, "the destination %v", err)
			ok = false
		}
		port := 0
		if p := strings.TrimSpace(get(colPort)); p != "" {
			n, err := strconv.Atoi(p)
			switch {
			case err != nil:
				bad.add(line, colPort, "the IMAP port %q is not a number", p)
				ok = false
			case n < 1 || n > 65535:
				bad.add(line, colPort, "the IMAP port %s is not from 1 to 65535", p)
				ok = false
			default:
				port = n
			}
		}
		if !ok {
			continue
		}
		ep, guessed, ferr := resolveEndpoint(row.address, get(colHost), port, get(colSecurity))
		if ferr != nil {
			bad.add(line, ferr.field, "%s", ferr.msg)
			continue
		}
		row.endpoint, row.guessed = ep, guessed
		key := strings.ToLower(row.address) + " " + ep.String()
		if first, dup := seen[key]; dup {
			bad.add(line, colAddress, "%s is imported on line %d already", row.address, first)
			continue
		}
		seen[key] = line
		rows = append(rows, row)
	}
	if len(bad.problems) > 0 {
		return nil, bad
	}
	if len(rows) == 0 {
		bad.add(2, "", "no import in the file: add one line under the header")
		return nil, bad
	}
	return rows, nil
}

// sniffComma picks the separator of the header line: a semicolon when
// it has semicolons and no comma.
func sniffComma(data []byte) rune {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	if bytes.IndexByte(first, ';') >= 0 && bytes.IndexByte(first, ',') < 0 {
		return ';'
	}
	return ','
}

// columnLetter names the i-th column (from 0) as spreadsheets do.
func columnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

func csvErrLine(err error, def int) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Line
	}
	return def
}

// csvErrText is a CSV syntax error in words, without the line the
// problem names already.
func csvErrText(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrBareQuote), errors.Is(pe.Err, csv.ErrQuote):
			return "a quote (\") is out of place; put values with quotes, commas or semicolons inside double quotes and double the quotes within"
		}
		return "not CSV: " + pe.Err.Error()
	}
	return "not CSV"
}
