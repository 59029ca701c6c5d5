// Command almanac is a CalDAV/CardDAV server with an embedded database.
//
//	almanac serve [-listen ADDR] [-data DIR]
//	almanac user add|passwd|list|delete [-data DIR] [LOGIN]
//
// Flags fall back to ALMANAC_LISTEN, ALMANAC_DATA and ALMANAC_LOG_LEVEL.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

const usage = `usage:
  almanac serve [-listen ADDR] [-data DIR] [-log-level LEVEL] [-max-instances N]
  almanac user add [-data DIR] LOGIN       (password from stdin, or prompted)
  almanac user passwd [-data DIR] LOGIN
  almanac user list [-data DIR]
  almanac user delete [-data DIR] LOGIN
  almanac mail export [-data DIR] [-dovecot-passwd FILE] [-postfix-virtual FILE]
  almanac mail org [-data DIR] -owner LOGIN NAME

environment: ALMANAC_LISTEN (default 127.0.0.1:8080), ALMANAC_DATA (default ./almanac-data),
             ALMANAC_LOG_LEVEL (debug, info, warn, error; default info),
             ALMANAC_MAX_INSTANCES (default 10000)
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// errUsage makes run print the usage text.
var errUsage = errors.New("usage")

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(args[1:], stdout, stderr)
	case "user":
		err = userCmd(args[1:], stdin, stdout, stderr)
	case "mail":
		err = mailCmd(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = errUsage
	}
	if errors.Is(err, errUsage) {
		fmt.Fprint(stderr, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "almanac:", err)
		return 1
	}
	return 0
}
