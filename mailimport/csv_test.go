package mailimport

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseCSVTemplate(t *testing.T) {
	rows, err := parseCSV([]byte(Template))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].address != "anna@example.com" || rows[0].destination != "anna@domain.xyz" ||
		rows[0].endpoint != (Endpoint{"imap.example.com", 993, SecurityTLS}) || !rows[0].guessed || rows[0].line != 2 {
		t.Errorf("template rows = %+v", rows)
	}
}

func TestParseCSV(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []csvRow
	}{
		{"columns in any order, spaces and case in the header",
			"Destination , SOURCE_PASSWORD,source_address\r\nme@domain.xyz,p,a@b.example\r\n",
			[]csvRow{{line: 2, address: "a@b.example", password: "p", destination: "me@domain.xyz",
				endpoint: Endpoint{"imap.b.example", 993, SecurityTLS}, guessed: true}}},
		{"semicolons, a BOM, quotes, blank lines",
			"\xef\xbb\xbfsource_address;source_password;destination;imap_host;imap_port;imap_security\n\n" +
				"a@gmail.com;\"p;w\"\"d\";me@domain.xyz;;;\n" +
				"b@corp.example;pw;me@domain.xyz;Mail.Corp.Example.;1143;none\n",
			[]csvRow{
				{line: 3, address: "a@gmail.com", password: `p;w"d`, destination: "me@domain.xyz",
					endpoint: Endpoint{"imap.gmail.com", 993, SecurityTLS}, guessed: true},
				{line: 4, address: "b@corp.example", password: "pw", destination: "me@domain.xyz",
					endpoint: Endpoint{"mail.corp.example", 1143, SecurityNone}},
			}},
		{"security alone picks its port",
			"source_address,source_password,destination,imap_security\na@x.example,p,me@domain.xyz,STARTTLS\n",
			[]csvRow{{line: 2, address: "a@x.example", password: "p", destination: "me@domain.xyz",
				endpoint: Endpoint{"imap.x.example", 143, SecurityStartTLS}, guessed: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := parseCSV([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(rows) != fmt.Sprint(tc.want) {
				t.Errorf("rows\n%+v\nwant\n%+v", rows, tc.want)
			}
		})
	}
}

func TestParseCSVErrors(t *testing.T) {
	head := "source_address,source_password,destination,imap_host,imap_port,imap_security\n"
	var many strings.Builder
	many.WriteString(head)
	for i := range MaxCSVRows + 1 {
		fmt.Fprintf(&many, "user%d@example.com,pw,me@domain.xyz,,,\n", i)
	}
	for _, tc := range []struct {
		name, in string
		want     []string // every problem, in order
	}{
		{"empty", "", []string{"line 1: the file is empty"}},
		{"header only", head, []string{"line 2: no import in the file"}},
		{"unknown and missing columns", "source_address,password,destination,source_address\n",
			[]string{`line 1, column B: unknown column "password"`, `line 1, column D: column "source_address" appears twice`,
				`line 1: the header has no column "source_password"`}},
		{"26 rows", many.String(), []string{"line 27: more than 25 imports in one file"}},
		{"every bad value named", head +
			"not-an-address,pw,me@domain.xyz,,,\n" +
			"a@example.com,,me@domain.xyz,,,\n" +
			"a@example.com,pw,me,,,\n" +
			"a@example.com,pw,me@domain.xyz,bad host,,\n" +
			"a@example.com,pw,me@domain.xyz,,99999,\n" +
			"a@example.com,pw,me@domain.xyz,,x,\n" +
			"a@example.com,pw,me@domain.xyz,,,ssl\n" +
			"a@example.com,pw,me@domain.xyz,,,,extra\n" +
			"a@example.com,pw,me@domain.xyz,,,\n" +
			"A@example.com,pw2,other@domain.xyz,,,\n",
			[]string{
				`line 2, column source_address: the source address "not-an-address" is not a mail address`,
				`line 3, column source_password: the source password is required`,
				`line 4, column destination: the destination "me" is not a mail address`,
				`line 5, column imap_host: the IMAP host "bad host" is not a host name`,
				`line 6, column imap_port: the IMAP port 99999 is not from 1 to 65535`,
				`line 7, column imap_port: the IMAP port "x" is not a number`,
				`line 8, column imap_security: the IMAP security "ssl" is not one of tls, starttls, none`,
				`line 9, column G: more values than the header has columns`,
				`line 11, column source_address: A@example.com is imported on line 10 already`,
			}},
		{"bad quoting", head + "a@example.com,\"pw,me@domain.xyz,,,\n",
			[]string{`line 2: a quote (") is out of place`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := parseCSV([]byte(tc.in))
			var ce *csvError
			if !errors.As(err, &ce) {
				t.Fatalf("rows %+v, err %v; want a csvError", rows, err)
			}
			if len(ce.problems) != len(tc.want) {
				t.Fatalf("%d problems, want %d:\n%s", len(ce.problems), len(tc.want), strings.ReplaceAll(err.Error(), "; ", "\n"))
			}
			for i, w := range tc.want {
				if got := ce.problems[i].String(); !strings.HasPrefix(got, w) {
					t.Errorf("problem %d = %q, want it to start %q", i, got, w)
				}
			}
		})
	}
}

func TestColumnLetter(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 701: "ZZ", 702: "AAA"} {
		if got := columnLetter(i); got != want {
			t.Errorf("columnLetter(%d) = %q, want %q", i, got, want)
		}
	}
}

// FuzzParseCSV checks that any upload gets rows or problems, never a
// panic: at most MaxCSVRows rows, each with the checked values, and
// every problem naming a line.
func FuzzParseCSV(f *testing.F) {
	f.Add([]byte(Template))
	f.Add([]byte("source_address;source_password;destination\na@b.example;\"x\"\"\";c@d.example\n"))
	f.Add([]byte("\xef\xbb\xbfdestination,source_password,source_address,imap_port\nc@d.example,p,a@b.example,0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := parseCSV(data)
		if err != nil {
			var ce *csvError
			if !errors.As(err, &ce) || len(ce.problems) == 0 || len(ce.problems) > maxCSVErrors || rows != nil {
				t.Fatalf("err %v (%T), rows %v", err, err, rows)
			}
			for _, p := range ce.problems {
				if p.Line < 1 || p.Msg == "" {
					t.Fatalf("problem without a line or words: %+v", p)
				}
			}
			return
		}
		if len(rows) == 0 || len(rows) > MaxCSVRows {
			t.Fatalf("%d rows", len(rows))
		}
		for _, r := range rows {
			if _, err := checkAddress(r.address); err != nil || r.password == "" {
				t.Fatalf("row %+v passed with a bad source", r)
			}
			if _, err := checkAddress(r.destination); err != nil {
				t.Fatalf("row %+v passed with a bad destination", r)
			}
			if r.endpoint.Port < 1 || r.endpoint.Port > 65535 || r.endpoint.Host == "" {
				t.Fatalf("row %+v passed with a bad endpoint", r)
			}
		}
	})
}
