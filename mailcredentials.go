package varco

// MailCache forgets what the mail servers' authentication caches hold of
// accounts (SPEC §7.6): the Dovecot auth cache flush command
// (internal/mailcache.Flusher), best effort and never blocking. The
// services take it as this interface, which internal/app fills.
type MailCache interface {
	Flush(users ...string)
}

// AfterCommitter is a transaction that runs functions once it has
// committed (store.Q.AfterCommit), and never when it rolls back.
type AfterCommitter interface {
	AfterCommit(f func())
}

// MailCredentialsChanged is the one place that acts on a change of what a
// mail login of the account with login name email accepts: an app password
// rotated, deleted, expired or past its grace after a rotation; the mail
// protocols; the account password changed or reset; the account locked,
// suspended or disabled; 2-step verification turned on (the account
// password stops working for mail) or off (every app password is
// revoked). Every such path calls it inside its transaction tx, and c is
// told email once tx has committed, never before and never when it rolls
// back, so that Dovecot asks varco again instead of answering from its
// auth cache. Nothing happens when c is nil (no flush command
// configured). A failed flush is the flusher's to log: it never fails the
// change, and auth_cache_ttl still bounds how long a cached login lasts.
func MailCredentialsChanged(c MailCache, tx AfterCommitter, email string) {
	if c == nil || email == "" {
		return
	}
	tx.AfterCommit(func() { c.Flush(email) })
}
