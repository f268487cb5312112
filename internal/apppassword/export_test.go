package apppassword

import (
	"fmt"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
)

// MaxCachedLogins is the login cache's bound, for tests.
const MaxCachedLogins = maxCachedLogins

// CacheLen returns how many accounts and throttling keys s's login cache
// holds.
func CacheLen(s *Service) (views, throttles int) { return s.logins.len() }

// FillCache puts n logins of distinct accounts from distinct addresses in
// s's login cache, as n logins read at one version would.
func FillCache(s *Service, n int) {
	now := time.Now()
	for i := range n {
		user := fmt.Sprintf("filler%d@example.test", i)
		v := &store.MailLoginView{Account: &varco.Account{ID: int64(i + 1), Email: user}}
		s.logins.put(user, acctKeyPrefix+user, fmt.Sprintf("%s192.0.2.%d", ipKeyPrefix, i), 1, now, v)
	}
}
