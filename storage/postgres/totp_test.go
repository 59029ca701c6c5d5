package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"almanac/storage"
)

// A TOTP code presented to two servers at once is accepted by one:
// AcceptTOTPStep is one conditional UPDATE, so the replay protection
// needs nothing in memory.
func TestTwoServers_TOTPReplay(t *testing.T) {
	a, b := twoStores(t)
	ctx := context.Background()
	acc := &storage.Account{Login: "jane@example.org", TOTPSecret: "JBSWY3DPEHPK3PXP", TOTPEnabled: true}
	if err := a.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	for step := int64(1); step <= 20; step++ {
		var accepted, replays atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			st := []*Store{a, b}[i%2]
			wg.Go(func() {
				err := st.AcceptTOTPStep(ctx, acc.ID, step)
				switch {
				case err == nil:
					accepted.Add(1)
				case errors.Is(err, storage.ErrPreconditionFailed):
					replays.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if accepted.Load() != 1 || replays.Load() != 7 {
			t.Fatalf("step %d: accepted %d times, refused %d; want once and 7", step, accepted.Load(), replays.Load())
		}
	}
	got, err := b.Account(ctx, acc.ID)
	if err != nil || got.TOTPLastStep != 20 {
		t.Errorf("last step %v, %v; want 20", got, err)
	}
}
