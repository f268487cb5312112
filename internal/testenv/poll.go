package testenv

import "time"

// Poll calls done every 20 ms until it is true or timeout has passed, and
// reports whether it became true: for waiting on another process or
// session, where nothing tells the test when the thing has happened.
func Poll(timeout time.Duration, done func() bool) bool {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if done() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
}
