// Package adminsock is the local admin socket: how a command line
// reaches a running server that holds the database, so that `almanac
// user add` and the other database commands work while it runs.
//
// # Protocol
//
// A command is a name, arguments and a standard input; its answer is
// what it writes to standard output and standard error, and an exit
// status. Both directions are frames: a kind byte, a big-endian uint32
// length (at most 64 KiB) and that many bytes. The client sends one
// request frame (JSON: protocol version, command name, arguments), its
// input in stdin frames and a stdin-end frame; the server answers with
// stdout and stderr frames as the command writes, in the order written,
// and one exit frame (JSON: the status) last. Output is streamed, not
// gathered, so a command may write more than fits in memory (a backup),
// and a client that hangs up cancels its command. The package knows no
// command: the caller's Handler runs them, so adding a command to the
// CLI adds it here too.
//
// A request has 10 seconds to arrive once connected; its command name
// is at most 64 bytes, it has at most 256 arguments of at most 4096
// bytes of UTF-8 each. The server runs at most 16 commands at once
// (Options.MaxConns); later clients wait to be accepted.
//
// # Who may connect
//
// Two independent checks. The socket is created with mode 0600 (bound
// under a temporary name, restricted, then renamed into place, so that
// it is never reachable at its path with the umask's permissions), so
// the kernel refuses a connect by any other user but root. And the
// server reads the peer's uid from the kernel (SO_PEERCRED, recorded at
// connect, not claimed by the client) and serves only its own uid and
// root; anyone else gets a message and status 1, and the refusal is
// logged. The second check holds even if the socket's mode is changed
// or the data directory is shared. Only Linux's SO_PEERCRED is wired
// up: elsewhere Listen fails and the server runs without the socket
// (the commands then need the server stopped, as before).
//
// The client does not authenticate the server: the socket lives in the
// data directory, and whoever can place a socket there can read the
// database anyway.
package adminsock
