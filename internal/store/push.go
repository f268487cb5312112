package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"varco.dev/varco"
)

// PushDevice is an account's authenticator device (SPEC §6.1).
type PushDevice struct {
	ID        int64
	AccountID int64
	PublicID  string // the device id the authenticator knows
	Kind      string // "cli" or "webauthn"
	PublicKey []byte // Ed25519 (cli) or the credential's COSE key (webauthn)
	TokenHash []byte // SHA-256 of the device token
	CreatedAt time.Time
	// A webauthn device's credential: its id, the last signature counter
	// seen and whether it registered as backup eligible.
	CredentialID   []byte
	SignCount      uint32
	BackupEligible bool
}

// PushRequest is one approval request (SPEC §6.2–6.4).
type PushRequest struct {
	ID          int64
	PublicID    string
	AccountID   int64
	DeviceID    int64
	Purpose     string // login, disable, replace_device or recovery_codes
	FlowID      int64  // the login flow's row id (purpose login), the enrollment's (replace_device)
	Number      string
	Nonce       []byte
	Application string
	IP          string
	Location    string
	UserAgent   string
	Risky       bool
	ContextHash []byte
	// Status is pending until the device answers, then approved, denied
	// or reported; expired when unanswered in time; used once an approved
	// request's outcome was collected (new recovery codes, given once);
	// cancelled when its requester withdrew it (a device replacement).
	// (The comment in migration 0013, which made the table, lists five.)
	Status     string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	AnsweredAt time.Time
}

const pushDeviceColumns = `id, account_id, public_id, kind, public_key, token_hash, created_at, credential_id, sign_count, backup_eligible`

func scanPushDevice(row *sql.Row) (*PushDevice, error) {
	var d PushDevice
	var created, count int64
	if err := row.Scan(&d.ID, &d.AccountID, &d.PublicID, &d.Kind, &d.PublicKey, &d.TokenHash, &created,
		&d.CredentialID, &count, &d.BackupEligible); err != nil {
		return nil, notFound(err, "device")
	}
	d.CreatedAt, d.SignCount = tm(created), uint32(count)
	return &d, nil
}

// PushDevice returns the account's device, or ENotFound. Inside a
// transaction on PostgreSQL it locks the row, so that the account's
// requests are started one at a time (one pending per account).
func (q *Q) PushDevice(ctx context.Context, accountID int64) (*PushDevice, error) {
	d, err := scanPushDevice(q.queryRow(ctx, `SELECT `+pushDeviceColumns+` FROM push_devices WHERE account_id = $1`+q.forUpdate(), accountID))
	if err != nil {
		return nil, fmt.Errorf("push device: %w", err)
	}
	return d, nil
}

// PushDeviceByToken returns the device whose token hashes to hash, or ENotFound.
func (q *Q) PushDeviceByToken(ctx context.Context, hash []byte) (*PushDevice, error) {
	d, err := scanPushDevice(q.queryRow(ctx, `SELECT `+pushDeviceColumns+` FROM push_devices WHERE token_hash = $1`, hash))
	if err != nil {
		return nil, fmt.Errorf("push device: %w", err)
	}
	return d, nil
}

// ReplacePushDevice stores d as its account's only device, removing the
// old one, and sets d.ID.
func (q *Q) ReplacePushDevice(ctx context.Context, d *PushDevice) error {
	if _, err := q.DeletePushDevice(ctx, d.AccountID); err != nil {
		return err
	}
	cred := d.CredentialID
	if cred == nil {
		cred = []byte{}
	}
	err := q.queryRow(ctx, `INSERT INTO push_devices (account_id, public_id, kind, public_key, token_hash, created_at,
		credential_id, sign_count, backup_eligible)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, d.AccountID, d.PublicID, d.Kind, d.PublicKey, d.TokenHash,
		ts(d.CreatedAt), cred, int64(d.SignCount), d.BackupEligible).Scan(&d.ID)
	if err != nil {
		return fmt.Errorf("insert push device: %w", mapError(err, "device"))
	}
	return nil
}

// SetPushSignCount records the signature counter of a webauthn device's
// last accepted assertion.
func (q *Q) SetPushSignCount(ctx context.Context, deviceID int64, count uint32) error {
	if _, err := q.exec(ctx, `UPDATE push_devices SET sign_count = $2 WHERE id = $1`, deviceID, int64(count)); err != nil {
		return fmt.Errorf("set sign count: %w", err)
	}
	return nil
}

// WebAuthnEnrollment is a WebAuthn enrollment between its two steps.
type WebAuthnEnrollment struct {
	ID           int64
	TokenHash    []byte // SHA-256 of the enrollment token the app holds
	AccountID    int64
	UserHandle   []byte // the WebAuthn user handle, which becomes the device id
	Challenge    []byte // the registration challenge
	RecoveryHash []byte // the recovery code given to replace a device, hashed; empty when none
	// PushEnrollmentID is the replacement whose approval on the old device
	// the enrollment needs instead of a recovery code; 0 when none.
	PushEnrollmentID int64
	ExpiresAt        time.Time
}

// InsertWebAuthnEnrollment stores e, first removing the enrollments that
// expired before now, and sets e.ID.
func (q *Q) InsertWebAuthnEnrollment(ctx context.Context, e *WebAuthnEnrollment, now time.Time) error {
	if _, err := q.exec(ctx, `DELETE FROM webauthn_enrollments WHERE expires_at <= $1`, ts(now)); err != nil {
		return fmt.Errorf("delete expired enrollments: %w", err)
	}
	rh := e.RecoveryHash
	if rh == nil {
		rh = []byte{}
	}
	err := q.queryRow(ctx, `INSERT INTO webauthn_enrollments (token_hash, account_id, user_handle, challenge, recovery_hash, push_enrollment_id, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, e.TokenHash, e.AccountID, e.UserHandle, e.Challenge, rh, e.PushEnrollmentID,
		ts(e.ExpiresAt)).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("insert webauthn enrollment: %w", mapError(err, "enrollment"))
	}
	return nil
}

// TakeWebAuthnEnrollment removes and returns the enrollment whose token hashes
// to hash if it has not expired at now: each enrollment is taken once.
// ENotFound when there is none.
func (q *Q) TakeWebAuthnEnrollment(ctx context.Context, hash []byte, now time.Time) (*WebAuthnEnrollment, error) {
	var e WebAuthnEnrollment
	var expires int64
	err := q.queryRow(ctx, `DELETE FROM webauthn_enrollments WHERE token_hash = $1
		RETURNING id, token_hash, account_id, user_handle, challenge, recovery_hash, push_enrollment_id, expires_at`, hash).
		Scan(&e.ID, &e.TokenHash, &e.AccountID, &e.UserHandle, &e.Challenge, &e.RecoveryHash, &e.PushEnrollmentID, &expires)
	if err != nil {
		return nil, fmt.Errorf("webauthn enrollment: %w", notFound(err, "enrollment"))
	}
	e.ExpiresAt = tm(expires)
	if !now.Before(e.ExpiresAt) {
		return nil, fmt.Errorf("webauthn enrollment: %w", varco.Errorf(varco.ENotFound, "enrollment expired"))
	}
	return &e, nil
}

// DeletePushDevice removes the account's device, its push subscription
// and its recovery codes, and reports whether there was a device.
func (q *Q) DeletePushDevice(ctx context.Context, accountID int64) (bool, error) {
	if _, err := q.exec(ctx, `DELETE FROM push_subscriptions WHERE account_id = $1`, accountID); err != nil {
		return false, fmt.Errorf("delete push subscription: %w", err)
	}
	res, err := q.exec(ctx, `DELETE FROM push_devices WHERE account_id = $1`, accountID)
	if err != nil {
		return false, fmt.Errorf("delete push device: %w", err)
	}
	if _, err := q.exec(ctx, `DELETE FROM push_recovery_codes WHERE account_id = $1`, accountID); err != nil {
		return false, fmt.Errorf("delete recovery codes: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("delete push device: %w", err)
	}
	return n > 0, nil
}

// ReplaceRecoveryCodes makes hashes the account's only recovery codes.
func (q *Q) ReplaceRecoveryCodes(ctx context.Context, accountID int64, hashes [][]byte) error {
	if _, err := q.exec(ctx, `DELETE FROM push_recovery_codes WHERE account_id = $1`, accountID); err != nil {
		return fmt.Errorf("delete recovery codes: %w", err)
	}
	for _, h := range hashes {
		if _, err := q.exec(ctx, `INSERT INTO push_recovery_codes (account_id, code_hash) VALUES ($1, $2)`, accountID, h); err != nil {
			return fmt.Errorf("insert recovery code: %w", mapError(err, "recovery code"))
		}
	}
	return nil
}

// UnusedRecoveryCodes counts the account's recovery codes not spent yet.
func (q *Q) UnusedRecoveryCodes(ctx context.Context, accountID int64) (int, error) {
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM push_recovery_codes WHERE account_id = $1 AND used_at = 0`, accountID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return n, nil
}

// UseRecoveryCode spends an unused recovery code of the account and
// reports whether there was one.
func (q *Q) UseRecoveryCode(ctx context.Context, accountID int64, hash []byte, now time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE push_recovery_codes SET used_at = $3
		WHERE account_id = $1 AND code_hash = $2 AND used_at = 0`, accountID, hash, ts(now))
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	return n == 1, nil
}

const pushRequestColumns = `id, public_id, account_id, device_id, purpose, flow_id, number, nonce, application, ip,
	location, user_agent, risky, context_hash, status, created_at, expires_at, answered_at`

func scanPushRequest(row interface{ Scan(...any) error }) (*PushRequest, error) {
	var r PushRequest
	var created, expires, answered int64
	if err := row.Scan(&r.ID, &r.PublicID, &r.AccountID, &r.DeviceID, &r.Purpose, &r.FlowID, &r.Number, &r.Nonce,
		&r.Application, &r.IP, &r.Location, &r.UserAgent, &r.Risky, &r.ContextHash, &r.Status, &created, &expires, &answered); err != nil {
		return nil, err
	}
	r.CreatedAt, r.ExpiresAt, r.AnsweredAt = tm(created), tm(expires), tm(answered)
	return &r, nil
}

// InsertPushRequest stores r and sets r.ID.
func (q *Q) InsertPushRequest(ctx context.Context, r *PushRequest) error {
	err := q.queryRow(ctx, `INSERT INTO push_requests (public_id, account_id, device_id, purpose, flow_id, number, nonce,
		application, ip, location, user_agent, risky, context_hash, status, created_at, expires_at, answered_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id`,
		r.PublicID, r.AccountID, r.DeviceID, r.Purpose, r.FlowID, r.Number, r.Nonce, r.Application, r.IP, r.Location,
		r.UserAgent, r.Risky, r.ContextHash, r.Status, ts(r.CreatedAt), ts(r.ExpiresAt), ts(r.AnsweredAt)).Scan(&r.ID)
	if err != nil {
		return fmt.Errorf("insert push request: %w", mapError(err, "push request"))
	}
	return nil
}

// PushRequestByPublicID returns a request, locking its row on PostgreSQL
// inside a transaction; ENotFound when there is none.
func (q *Q) PushRequestByPublicID(ctx context.Context, publicID string) (*PushRequest, error) {
	r, err := scanPushRequest(q.queryRow(ctx, `SELECT `+pushRequestColumns+` FROM push_requests WHERE public_id = $1`+q.forUpdate(), publicID))
	if err != nil {
		return nil, fmt.Errorf("push request: %w", notFound(err, "push request"))
	}
	return r, nil
}

// PushRequestByFlow returns the newest request of a login flow (by row
// id), or ENotFound.
func (q *Q) PushRequestByFlow(ctx context.Context, flowID int64) (*PushRequest, error) {
	r, err := scanPushRequest(q.queryRow(ctx, `SELECT `+pushRequestColumns+` FROM push_requests
		WHERE flow_id = $1 AND purpose = 'login' ORDER BY id DESC LIMIT 1`+q.forUpdate(), flowID))
	if err != nil {
		return nil, fmt.Errorf("push request: %w", notFound(err, "push request"))
	}
	return r, nil
}

// PushRequestFor returns the newest request of purpose for the row flowID
// (a login flow, or an enrollment for replace_device), locking it on
// PostgreSQL inside a transaction; ENotFound when there is none.
func (q *Q) PushRequestFor(ctx context.Context, purpose string, flowID int64) (*PushRequest, error) {
	r, err := scanPushRequest(q.queryRow(ctx, `SELECT `+pushRequestColumns+` FROM push_requests
		WHERE flow_id = $1 AND purpose = $2 ORDER BY id DESC LIMIT 1`+q.forUpdate(), flowID, purpose))
	if err != nil {
		return nil, fmt.Errorf("push request: %w", notFound(err, "push request"))
	}
	return r, nil
}

// PushEnrollment is a new device waiting for the old one's approval to
// replace it (SPEC §6.1).
type PushEnrollment struct {
	ID        int64
	IDHash    []byte // SHA-256 of the id the new device polls with
	AccountID int64
	// Kind is the new device's kind: "cli", whose Ed25519 key waits in
	// PublicKey, or "webauthn", the web app, which registers its
	// credential once the old device approved (PublicKey empty).
	Kind      string
	PublicKey []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	DoneAt    time.Time // zero until the new device took the old one's place
}

// InsertPushEnrollment stores e and sets e.ID.
func (q *Q) InsertPushEnrollment(ctx context.Context, e *PushEnrollment) error {
	pub := e.PublicKey
	if pub == nil {
		pub = []byte{}
	}
	err := q.queryRow(ctx, `INSERT INTO push_enrollments (id_hash, account_id, kind, public_key, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, e.IDHash, e.AccountID, e.Kind, pub, ts(e.CreatedAt), ts(e.ExpiresAt)).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("insert push enrollment: %w", mapError(err, "push enrollment"))
	}
	return nil
}

// PushEnrollmentByHash returns an enrollment by the hash of its id,
// locking it on PostgreSQL inside a transaction; ENotFound when there is
// none.
func (q *Q) PushEnrollmentByHash(ctx context.Context, hash []byte) (*PushEnrollment, error) {
	return q.pushEnrollment(ctx, `id_hash = $1`, hash)
}

// PushEnrollmentByID returns an enrollment by its id, locking it on
// PostgreSQL inside a transaction; ENotFound when there is none.
func (q *Q) PushEnrollmentByID(ctx context.Context, id int64) (*PushEnrollment, error) {
	return q.pushEnrollment(ctx, `id = $1`, id)
}

func (q *Q) pushEnrollment(ctx context.Context, where string, arg any) (*PushEnrollment, error) {
	var e PushEnrollment
	var created, expires, done int64
	err := q.queryRow(ctx, `SELECT id, id_hash, account_id, kind, public_key, created_at, expires_at, done_at
		FROM push_enrollments WHERE `+where+q.forUpdate(), arg).Scan(&e.ID, &e.IDHash, &e.AccountID, &e.Kind, &e.PublicKey,
		&created, &expires, &done)
	if err != nil {
		return nil, fmt.Errorf("push enrollment: %w", notFound(err, "push enrollment"))
	}
	e.CreatedAt, e.ExpiresAt, e.DoneAt = tm(created), tm(expires), tm(done)
	return &e, nil
}

// FinishPushEnrollment marks an enrollment done at at; false when it
// already was.
func (q *Q) FinishPushEnrollment(ctx context.Context, id int64, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE push_enrollments SET done_at = $2 WHERE id = $1 AND done_at = 0`, id, ts(at))
	if err != nil {
		return false, fmt.Errorf("finish push enrollment: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("finish push enrollment: %w", err)
	}
	return n == 1, nil
}

// PushRequestsSince returns the account's requests created at or after
// since, newest first.
func (q *Q) PushRequestsSince(ctx context.Context, accountID int64, since time.Time) ([]PushRequest, error) {
	return queryList(ctx, q, "push requests", scanPushRequest, `SELECT `+pushRequestColumns+` FROM push_requests
		WHERE account_id = $1 AND created_at >= $2 ORDER BY id DESC`, accountID, ts(since))
}

// PendingPushRequests returns the device's pending requests that have not
// expired at now, oldest first.
func (q *Q) PendingPushRequests(ctx context.Context, deviceID int64, now time.Time) ([]PushRequest, error) {
	return queryList(ctx, q, "pending push requests", scanPushRequest, `SELECT `+pushRequestColumns+` FROM push_requests
		WHERE device_id = $1 AND status = 'pending' AND expires_at > $2 ORDER BY id`, deviceID, ts(now))
}

// AnswerPushRequest moves a pending request to status at at; it reports
// false when the request was no longer pending (answered concurrently).
func (q *Q) AnswerPushRequest(ctx context.Context, id int64, status string, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE push_requests SET status = $2, answered_at = $3 WHERE id = $1 AND status = 'pending'`,
		id, status, ts(at))
	if err != nil {
		return false, fmt.Errorf("answer push request: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("answer push request: %w", err)
	}
	return n == 1, nil
}

// CancelPushRequest marks a request its requester withdrew as cancelled
// at at, if it is still pending or approved (an approval not yet taken:
// the caller checks that); it reports false when it was neither.
func (q *Q) CancelPushRequest(ctx context.Context, id int64, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE push_requests SET status = 'cancelled', answered_at = $2
		WHERE id = $1 AND status IN ('pending', 'approved')`, id, ts(at))
	if err != nil {
		return false, fmt.Errorf("cancel push request: %w", err)
	}
	return affected(res)
}

// PushDecisionView is what a push decision reads before its transaction.
type PushDecisionView struct {
	Device  *PushDevice
	Account *varco.Account // the device's
	Request *PushRequest   // nil when no request has the id; it may be another device's
}

// PushDecisionView reads, in one statement, the device whose token hashes
// to hash, its account and the request publicID, whichever device it is
// for (the caller checks that). ENotFound when no device has the token.
// Nothing is locked: the decision's answer (AnswerPush) checks again, as
// it writes, what it relies on.
func (q *Q) PushDecisionView(ctx context.Context, hash []byte, publicID string) (*PushDecisionView, error) {
	var v PushDecisionView
	var d PushDevice
	var r PushRequest
	var dCreated, count, rCreated, rExpires, rAnswered int64
	a, err := scanAccount(scanFunc(func(acct ...any) error {
		err := q.queryRow(ctx, `SELECT d.id, d.account_id, d.public_id, d.kind, d.public_key, d.token_hash, d.created_at,
			d.credential_id, d.sign_count, d.backup_eligible,
			COALESCE(r.id, 0), COALESCE(r.public_id, ''), COALESCE(r.account_id, 0), COALESCE(r.device_id, 0),
			COALESCE(r.purpose, ''), COALESCE(r.flow_id, 0), COALESCE(r.number, ''), r.nonce, COALESCE(r.application, ''),
			COALESCE(r.ip, ''), COALESCE(r.location, ''), COALESCE(r.user_agent, ''), COALESCE(r.risky, FALSE),
			r.context_hash, COALESCE(r.status, ''), COALESCE(r.created_at, 0), COALESCE(r.expires_at, 0),
			COALESCE(r.answered_at, 0), `+accountColumns+`
			FROM push_devices d JOIN accounts a ON a.id = d.account_id LEFT JOIN orgs o ON o.id = a.org_id
			LEFT JOIN push_requests r ON r.public_id = $2
			WHERE d.token_hash = $1`, hash, publicID).Scan(append([]any{&d.ID, &d.AccountID, &d.PublicID, &d.Kind,
			&d.PublicKey, &d.TokenHash, &dCreated, &d.CredentialID, &count, &d.BackupEligible,
			&r.ID, &r.PublicID, &r.AccountID, &r.DeviceID, &r.Purpose, &r.FlowID, &r.Number, &r.Nonce, &r.Application,
			&r.IP, &r.Location, &r.UserAgent, &r.Risky, &r.ContextHash, &r.Status, &rCreated, &rExpires, &rAnswered}, acct...)...)
		return err
	}))
	if err != nil {
		return nil, fmt.Errorf("push decision: %w", notFound(err, "device"))
	}
	d.CreatedAt, d.SignCount = tm(dCreated), uint32(count)
	v.Device, v.Account = &d, a
	if r.ID != 0 {
		r.CreatedAt, r.ExpiresAt, r.AnsweredAt = tm(rCreated), tm(rExpires), tm(rAnswered)
		v.Request = &r
	}
	return &v, nil
}

// PushAnswer is what a push decision writes (AnswerPush).
type PushAnswer struct {
	Request int64     // the request's row id
	Status  string    // its new status
	At      time.Time // when it was answered
	// The device that decided: the answer holds only while the device
	// still has the token that hashes to TokenHash and the signature
	// counter SignCount it was read with; NewSignCount is stored with it.
	Device       int64
	TokenHash    []byte
	SignCount    uint32
	NewSignCount uint32
	AccountID    int64
	MuteUntil    time.Time // non-zero: push is muted for the account until then (a report)
	// Flow, when non-zero, is a login flow that moves to FlowState if it
	// still waits for the push (push_required).
	Flow      int64
	FlowState string
	Notify    bool // NotifyPush for the account once this commits
}

// PushAnswered is what AnswerPush found.
type PushAnswered struct {
	DeviceHeld bool // the device still has the token
	CountHeld  bool // and the signature counter it was read with
	Answered   bool // the request was pending and now has the answer's status
}

// AnswerPush writes a push decision's answer, inside a transaction: the
// request's status, if it is still pending and the device still holds
// its token and counter, then the device's new counter, the mute, the
// flow's state and the notification. When Answered is false nothing is
// meant to be kept: the caller rolls back. On PostgreSQL it is one
// statement, which locks the device and the login flow before the request
// (the order in which a poll of the flow takes the flow and then the
// request, so that the two never wait for each other in a cycle).
func (q *Q) AnswerPush(ctx context.Context, a *PushAnswer) (PushAnswered, error) {
	var out PushAnswered
	var mute int64
	if !a.MuteUntil.IsZero() {
		mute = ts(a.MuteUntil)
	}
	if q.d == dialectPostgres {
		notify := ""
		if a.Notify {
			notify = fmt.Sprint(a.AccountID)
		}
		// The uncorrelated subqueries in r's condition are evaluated
		// before its row is read, so dv and fl are locked first.
		err := q.queryRow(ctx, `WITH dv AS (
				SELECT sign_count FROM push_devices WHERE id = $1 AND token_hash = $2 FOR UPDATE),
			fl AS (SELECT id FROM login_flows WHERE $8::bigint <> 0 AND id = $8 FOR UPDATE),
			r AS (UPDATE push_requests SET status = $4, answered_at = $5
				WHERE id = $3 AND status = 'pending' AND EXISTS (SELECT 1 FROM dv WHERE sign_count = $6)
				AND (SELECT COUNT(*) FROM fl) >= 0 RETURNING id),
			c AS (UPDATE push_devices SET sign_count = $7 WHERE id = $1 AND $7::bigint <> $6::bigint AND EXISTS (SELECT 1 FROM r)),
			f AS (UPDATE login_flows SET state = $9 WHERE id IN (SELECT id FROM fl) AND state = 'push_required'
				AND EXISTS (SELECT 1 FROM r)),
			m AS (INSERT INTO push_mutes (account_id, muted_until) SELECT $10::bigint, $11::bigint FROM r WHERE $11::bigint <> 0
				ON CONFLICT (account_id) DO UPDATE SET muted_until = excluded.muted_until),
			n AS (SELECT pg_notify('`+PushChannel+`', $12::text) FROM r WHERE $12::text <> '')
			SELECT EXISTS (SELECT 1 FROM dv), EXISTS (SELECT 1 FROM dv WHERE sign_count = $6), EXISTS (SELECT 1 FROM r),
				(SELECT COUNT(*) FROM n)`,
			a.Device, a.TokenHash, a.Request, a.Status, ts(a.At), int64(a.SignCount), int64(a.NewSignCount),
			a.Flow, a.FlowState, a.AccountID, mute, notify).Scan(&out.DeviceHeld, &out.CountHeld, &out.Answered, new(int64))
		if err != nil {
			return out, fmt.Errorf("answer push: %w", err)
		}
		return out, nil
	}
	// SQLite: the transaction holds the only writer, so the checks and the
	// writes that follow them cannot be overtaken.
	res, err := q.exec(ctx, `UPDATE push_requests SET status = $2, answered_at = $3 WHERE id = $1 AND status = 'pending'
		AND EXISTS (SELECT 1 FROM push_devices WHERE id = $4 AND token_hash = $5 AND sign_count = $6)`,
		a.Request, a.Status, ts(a.At), a.Device, a.TokenHash, int64(a.SignCount))
	if err != nil {
		return out, fmt.Errorf("answer push: %w", err)
	}
	if out.Answered, err = affected(res); err != nil {
		return out, fmt.Errorf("answer push: %w", err)
	}
	if !out.Answered {
		// Say why: the device, its counter, or the request.
		var count int64
		err := q.queryRow(ctx, `SELECT sign_count FROM push_devices WHERE id = $1 AND token_hash = $2`, a.Device, a.TokenHash).Scan(&count)
		if errors.Is(err, sql.ErrNoRows) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("answer push: %w", err)
		}
		out.DeviceHeld, out.CountHeld = true, count == int64(a.SignCount)
		return out, nil
	}
	out.DeviceHeld, out.CountHeld = true, true
	if a.NewSignCount != a.SignCount {
		if err := q.SetPushSignCount(ctx, a.Device, a.NewSignCount); err != nil {
			return out, err
		}
	}
	if a.Flow != 0 {
		if _, err := q.exec(ctx, `UPDATE login_flows SET state = $2 WHERE id = $1 AND state = 'push_required'`, a.Flow, a.FlowState); err != nil {
			return out, fmt.Errorf("answer push: flow: %w", err)
		}
	}
	if mute != 0 {
		if err := q.MutePush(ctx, a.AccountID, a.MuteUntil); err != nil {
			return out, err
		}
	}
	if a.Notify {
		return out, q.NotifyPush(ctx, a.AccountID)
	}
	return out, nil
}

// UseApprovedPushRequest marks an approved request as used (status
// "used"), so that what it approved is given once; it reports false when
// the request was not approved or already used.
func (q *Q) UseApprovedPushRequest(ctx context.Context, id int64) (bool, error) {
	res, err := q.exec(ctx, `UPDATE push_requests SET status = 'used' WHERE id = $1 AND status = 'approved'`, id)
	if err != nil {
		return false, fmt.Errorf("use push request: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use push request: %w", err)
	}
	return n == 1, nil
}

// PushMutedUntil returns until when push is muted for the account (the
// zero time when it is not).
func (q *Q) PushMutedUntil(ctx context.Context, accountID int64) (time.Time, error) {
	var until int64
	err := q.queryRow(ctx, `SELECT muted_until FROM push_mutes WHERE account_id = $1`, accountID).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("push mute: %w", err)
	}
	return tm(until), nil
}

// MutePush mutes push for the account until until.
func (q *Q) MutePush(ctx context.Context, accountID int64, until time.Time) error {
	if _, err := q.exec(ctx, `INSERT INTO push_mutes (account_id, muted_until) VALUES ($1, $2)
		ON CONFLICT (account_id) DO UPDATE SET muted_until = excluded.muted_until`, accountID, ts(until)); err != nil {
		return fmt.Errorf("mute push: %w", err)
	}
	return nil
}

// LoginFlowByID returns a flow by row id, locking it on PostgreSQL inside
// a transaction; ENotFound when there is none.
func (q *Q) LoginFlowByID(ctx context.Context, id int64) (*LoginFlow, error) {
	var hash []byte
	if err := q.queryRow(ctx, `SELECT flow_hash FROM login_flows WHERE id = $1`, id).Scan(&hash); err != nil {
		return nil, fmt.Errorf("login flow: %w", notFound(err, "login flow"))
	}
	return q.LoginFlowByHash(ctx, hash)
}

// DeletePushRequestsBefore removes the requests that expired before
// before: answered or not, they no longer count towards any limit. The
// device replacements that expired by then go with them.
func (q *Q) DeletePushRequestsBefore(ctx context.Context, before time.Time) (int64, error) {
	if _, err := q.exec(ctx, `DELETE FROM push_enrollments WHERE expires_at < $1`, ts(before)); err != nil {
		return 0, fmt.Errorf("delete old push enrollments: %w", err)
	}
	res, err := q.exec(ctx, `DELETE FROM push_requests WHERE expires_at < $1`, ts(before))
	if err != nil {
		return 0, fmt.Errorf("delete old push requests: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// DeleteExpiredPushMutes removes the mutes that ended before before.
func (q *Q) DeleteExpiredPushMutes(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM push_mutes WHERE muted_until < $1`, ts(before))
	if err != nil {
		return 0, fmt.Errorf("delete expired push mutes: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// PushChannel is the PostgreSQL notification channel of push decisions:
// every varco process listens on it and wakes its waiting pages.
const PushChannel = "varco_push"

// NotifyPush tells every varco process on the database that a push
// request of the account changed. On PostgreSQL it is a NOTIFY on
// PushChannel; inside a transaction it is delivered only once the
// transaction commits, and never if it rolls back. The payload is the
// account's row id, nothing secret: a woken listener re-reads its own
// state. SQLite runs in one process, so there it does nothing.
func (q *Q) NotifyPush(ctx context.Context, accountID int64) error {
	if q.d != dialectPostgres {
		return nil
	}
	if _, err := q.exec(ctx, `SELECT pg_notify('`+PushChannel+`', $1)`, fmt.Sprint(accountID)); err != nil {
		return fmt.Errorf("notify push: %w", err)
	}
	return nil
}
