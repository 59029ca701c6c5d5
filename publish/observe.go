package publish

// Observer is told what feed requests come to, for monitoring: the
// server counts them with its metrics, so that this package needs no
// metrics library. Its methods are called on request goroutines and must
// not block.
type Observer interface {
	// Fetched is the outcome of one GET or HEAD of a feed URL.
	Fetched(Outcome)
	// Cached tells whether a feed that was answered (200 or 304) came
	// from the cache of rendered feeds (hit), or was rendered by this
	// request. A request that waited for another's rendering of the
	// same feed is a hit: it rendered nothing.
	Cached(hit bool)
}

// Outcome is how a feed request was answered.
type Outcome uint8

const (
	Served      Outcome = iota // 200 with the feed
	NotModified                // 304: the subscriber's copy is current
	NotFound                   // 404: revoked, expired, deleted or never issued
	Throttled                  // 429: too many never-issued tokens from the address
	Failed                     // 500
)

var outcomeNames = [...]string{"served", "not_modified", "not_found", "throttled", "failed"}

// String is the outcome's name as metrics label it.
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

type noObserver struct{}

func (noObserver) Fetched(Outcome) {}
func (noObserver) Cached(bool)     {}
