package auth

// Observer is told what the checks of secrets come to, for monitoring:
// the server counts them with its metrics, so that this package needs no
// metrics library. Its methods are called on request goroutines and must
// not block.
type Observer interface {
	// Failed is a secret of kind that was checked and was wrong (for
	// passwords: an unknown login, a wrong password, an account without
	// one).
	Failed(kind Kind)
	// Throttled is an attempt at a secret of kind refused by the
	// throttle, unchecked: the client got 429 or its equivalent.
	Throttled(kind Kind)
}

// report tells the observer, if any, how a check of kind ended.
func (g *Guard) report(kind Kind, failed, throttled bool) {
	switch {
	case g.obs == nil:
	case throttled:
		g.obs.Throttled(kind)
	case failed:
		g.obs.Failed(kind)
	}
}

// Kinds lists every kind of secret a Guard checks, the account password
// first, for monitoring that shows a series per kind from the start.
func Kinds() []Kind {
	ks := make([]Kind, numKinds)
	for i := range ks {
		ks[i] = Kind(i)
	}
	return ks
}
