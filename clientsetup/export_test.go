package clientsetup

// Golden lets the HTTP tests, in package clientsetup_test, share the
// golden files and their -update flag.
var Golden = golden
