// Command rrproxy is the load balancer of the two-server davbench target
// (almanac-pg2.sh): it listens on one address and hands each request to
// the next of its backends in turn, so that consecutive requests of one
// client reach different servers, the hardest case for servers that
// share one database. It is a benchmark tool, not for production.
//
//	rrproxy -listen 127.0.0.1:8103 http://127.0.0.1:9103 http://127.0.0.1:9104
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"sync/atomic"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8103", "address to listen on")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: rrproxy -listen ADDR BACKEND-URL...")
		os.Exit(2)
	}
	var proxies []*httputil.ReverseProxy
	for _, a := range flag.Args() {
		u, err := url.Parse(a)
		if err != nil || u.Host == "" {
			fmt.Fprintf(os.Stderr, "rrproxy: bad backend %q\n", a)
			os.Exit(2)
		}
		p := httputil.NewSingleHostReverseProxy(u)
		// Enough idle connections for davbench's 16 clients per backend.
		p.Transport = &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}
		proxies = append(proxies, p)
	}
	var next atomic.Uint64
	srv := &http.Server{
		Addr:              *listen,
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			proxies[(next.Add(1)-1)%uint64(len(proxies))].ServeHTTP(w, r)
		}),
	}
	log.Fatal(srv.ListenAndServe())
}
