// Package app wires varco together: configuration → store → services → HTTP
// handler and background workers. cmd/varco and the end-to-end tests both
// build the service through it, so tests run the real thing.
package app

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"varco.dev/varco"

	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/api"
	"varco.dev/varco/internal/apppassword"
	"varco.dev/varco/internal/audit"
	"varco.dev/varco/internal/auth"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/geo"
	"varco.dev/varco/internal/httpx"
	"varco.dev/varco/internal/jobs"
	"varco.dev/varco/internal/mailcache"
	"varco.dev/varco/internal/metrics"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/password"
	"varco.dev/varco/internal/recovery"
	"varco.dev/varco/internal/sms"
	"varco.dev/varco/internal/sse"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/webpush"
)

// App is a running varco: its store, services and HTTP handler.
type App struct {
	Cfg    *config.Config
	DB     *store.DB
	Clock  clock.Clock
	Hasher *password.Hasher
	Auth   *auth.Service
	// Recovery is the password reset and the contact verification.
	Recovery *recovery.Service
	Admin    *admin.Service
	Worker   *notify.Worker
	Mailer   *notify.Mailer // queues e-mail and SMS in the caller's transaction
	Jobs     *jobs.Runner
	Geo      *geo.DB // client locations for the risk rules
	Audit    *audit.Keys
	// AppPasswords are the app passwords of mail clients and the mail
	// servers' logins (SPEC §7).
	AppPasswords *apppassword.Service
	// VAPID is the server's Web Push identity (SPEC §6.6) and WebPush the
	// sender of the authenticator's notifications.
	VAPID   *webpush.VAPID
	WebPush *notify.WebPush
	// MailCache flushes Dovecot's authentication cache of an account whose
	// app passwords, mail access or status changed
	// (VARCO_DOVECOT_CACHE_FLUSH); nil when not configured.
	MailCache *mailcache.Flusher
	Metrics   *metrics.Metrics
	Log       *slog.Logger
	Handler   http.Handler
	// Streams holds the push waiting pages' event streams; Close (and
	// serve, as the HTTP server shuts down) closes them, since the server
	// does not track a hijacked connection.
	Streams *sse.Hub

	backlog atomic.Int64
	noMail  bool // no e-mail or SMS sender configured: deliver Web Push only
	// senderNote says which channel has no sender; Run logs it, so only the
	// process that sends (serve) warns, not every command of the CLI.
	senderNote  string
	senderLevel slog.Level
	// pushRecheck and pushListening are Options'.
	pushRecheck   time.Duration
	pushListening func()
}

// Options are the parts a caller may supply; zero values take defaults.
type Options struct {
	Clock        clock.Clock      // default: the build's clock (manual in testclock builds)
	Logger       *slog.Logger     // default: discard
	HashParams   *password.Params // default: password.DefaultParams
	Sender       notify.Sender    // default: from Cfg (SMTP and SMS gateway, or the dev mailbox; see defaultSender)
	SkipMigrate  bool
	WorkerLogger *slog.Logger
	// LoginWait and LoginWriteWait bound how long a sign-in waits before its
	// password is checked and for its writes after (zero: 2 s and 500 ms,
	// see auth.Config.WriteWait); tests under the race detector on a busy
	// machine set them long, so that they test the rules, not the load.
	LoginWait, LoginWriteWait time.Duration
	// PushRecheck is how often a push waiting page re-reads its flow when
	// no decision woke it (zero: 10 s, see web.Deps.PushRecheck).
	PushRecheck time.Duration
	// PushListening, if set, is called each time the PostgreSQL push
	// listener (Run) is connected and listening.
	PushListening func()
}

// New opens the database, migrates it and builds every service.
func New(ctx context.Context, cfg *config.Config, opts Options) (*App, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = defaultClock()
	}
	// config checked only the SMS gateway URL's shape; the gateway's rules
	// apply here, before anything is opened, so a bad URL fails the start.
	var gateway *sms.Sender
	if cfg.SMSURL != "" {
		var err error
		if gateway, err = sms.New(cfg.SMSURL, cfg.SMSToken, sms.Options{}); err != nil {
			return nil, fmt.Errorf("sms-url: %w", err)
		}
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if !opts.SkipMigrate {
		if _, err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	keys, err := OpenAudit(ctx, db, cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	a := &App{Cfg: cfg, DB: db, Clock: opts.Clock, Log: opts.Logger, Audit: keys,
		pushRecheck: opts.PushRecheck, pushListening: opts.PushListening}
	hopts := password.HasherOptions{MaxWait: opts.LoginWait}
	if opts.HashParams != nil {
		hopts.Params = *opts.HashParams
	}
	a.Hasher = password.NewHasher(hopts)
	policy := password.DefaultPolicy()

	vapid, err := openVAPID(ctx, db, cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	a.VAPID = vapid
	wl := opts.WorkerLogger
	if wl == nil {
		wl = opts.Logger
	}
	a.WebPush = &notify.WebPush{Store: db, Sender: &webpush.Sender{VAPID: vapid, AllowLoopback: cfg.Dev || cfg.WebPushLoopback}, Clock: opts.Clock, Logger: wl}
	var sender notify.Sender
	if opts.Sender != nil {
		sender = notify.Router{Email: opts.Sender, SMS: opts.Sender, Push: a.WebPush}
	} else if sender, err = a.defaultSender(gateway); err != nil {
		db.Close()
		return nil, err
	}
	// With no e-mail or SMS sender the worker delivers Web Push only, and
	// e-mails wait in the outbox untouched until a sender is configured.
	var outbox notify.Outbox = db
	if a.noMail {
		outbox = store.ChannelOutbox{Q: db.Q, Channel: store.ChannelWebPush}
	}
	a.Worker = notify.NewWorker(outbox, sender, notify.WorkerOptions{Clock: opts.Clock, Logger: opts.Logger})
	a.Metrics = metrics.New(metrics.Gauges{
		HashInFlight:  func() float64 { return float64(a.Hasher.InFlight()) },
		HashQueued:    func() float64 { return float64(a.Hasher.Queued()) },
		OutboxBacklog: func() float64 { return float64(a.backlog.Load()) },
	})
	mailer := &notify.Mailer{Render: notify.Render, RenderSMS: notify.RenderSMS, BaseURL: cfg.BaseURL,
		Domain: mailDomain(cfg.MailFrom), Clock: opts.Clock, Wake: a.Worker.Notify}
	a.Mailer = mailer
	// A missing or corrupt database is logged, never fatal: risk then
	// falls back to IP networks until a good file appears (SPEC §5.3).
	a.Geo = geo.New(geo.Options{Path: cfg.GeoIPDB, Logger: opts.Logger, Clock: opts.Clock})
	a.MailCache = mailcache.New(cfg.DovecotCacheFlush, opts.Logger)
	a.Auth = auth.New(auth.Deps{DB: db, Hasher: a.Hasher, Policy: policy, Clock: opts.Clock, Mailer: mailer,
		Metrics: a.Metrics, Logger: opts.Logger, Risk: auth.GeoRisk{DB: a.Geo}, MailCache: a.mailCache()}, auth.Config{SessionIdle: cfg.SessionIdle,
		SessionAbsolute: cfg.SessionAbsolute, BaseURL: cfg.BaseURL, WriteWait: opts.LoginWriteWait, PushKey: vapid.PublicKey(),
		Applications: cfg.Applications})
	a.Recovery = recovery.New(recovery.Deps{DB: db, Accounts: a.Auth, Clock: opts.Clock, Mailer: mailer})
	a.Auth.SetResets(a.Recovery) // "this wasn't me" starts a reset
	a.Admin = admin.New(db, a.Hasher, policy, opts.Clock, mailer, a.Auth)
	a.Admin.SetMailCache(a.mailCache())
	a.Jobs = jobs.New(db, opts.Clock, mailer, opts.Logger)
	a.Jobs.SetMailCache(a.mailCache())
	apKeys, err := openAppPasswordKeys(ctx, db, cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	a.AppPasswords = apppassword.NewService(apppassword.Deps{DB: db, Keys: apKeys, Clock: opts.Clock, Verifier: a.Hasher,
		Logger: opts.Logger, MailCache: a.mailCache()})
	a.Streams = sse.NewHub(sse.Options{Log: a.Log})
	a.Auth.OnPushDecided(a.Streams.Wake)
	a.Handler = a.routes()
	return a, nil
}

// mailCache is MailCache as the services take it: a nil interface, not a
// nil pointer in one, when no flush command is configured.
func (a *App) mailCache() interface{ Flush(...string) } {
	if a.MailCache == nil {
		return nil
	}
	return a.MailCache
}

// defaultSender routes each channel to its configured sender: e-mail to
// VARCO_SMTP_URL, SMS to VARCO_SMS_URL, and in dev mode either one that is
// not configured to the dev mailbox (/dev/mailbox). With neither configured
// the worker does not run and messages wait in the outbox; an SMS with no
// gateway is dead-lettered (notify.ErrNoSMSGateway), an e-mail with no SMTP
// server retried (notify.ErrNoSMTP). gateway is the SMS sender New built
// from VARCO_SMS_URL, nil when it is not set.
func (a *App) defaultSender(gateway *sms.Sender) (notify.Sender, error) {
	var r notify.Router
	switch {
	case a.Cfg.SMTPURL != "":
		s, err := notify.NewSMTPSender(a.Cfg.SMTPURL, a.Cfg.MailFrom, notify.SMTPOptions{})
		if err != nil {
			return nil, fmt.Errorf("smtp: %w", err)
		}
		r.Email = s
	case a.Cfg.Dev:
		r.Email = notify.NewDevMailbox(a.DB)
	}
	switch {
	case gateway != nil:
		r.SMS = gateway
	case a.Cfg.Dev:
		r.SMS = notify.NewDevMailbox(a.DB)
	}
	r.Push = a.WebPush
	switch {
	case r.Email == nil && r.SMS == nil:
		a.senderNote, a.senderLevel = "no SMTP server (VARCO_SMTP_URL) nor SMS gateway (VARCO_SMS_URL) configured: e-mails and SMS wait in the outbox until one is (Web Push is delivered)", slog.LevelWarn
		a.noMail = true
	case r.Email == nil:
		a.senderNote, a.senderLevel = "no SMTP server configured (VARCO_SMTP_URL): e-mails are retried and fail until one is", slog.LevelWarn
	case r.SMS == nil:
		a.senderNote, a.senderLevel = "no SMS gateway configured (VARCO_SMS_URL): SMS are dead-lettered", slog.LevelInfo
	}
	return r, nil
}

func mailDomain(from string) string {
	if at := strings.LastIndexByte(from, '@'); at >= 0 && at < len(from)-1 {
		return strings.Trim(from[at+1:], "> ")
	}
	return "varco.invalid"
}

// CloseStreams ends every held event stream; an HTTP server's Shutdown
// calls it (RegisterOnShutdown), which would otherwise wait for them.
func (a *App) CloseStreams() {
	if a.Streams != nil {
		a.Streams.Close()
	}
}

// Close ends the event streams, runs the mail auth cache flushes still
// waiting and releases the database.
func (a *App) Close() error {
	a.CloseStreams()
	// Anchor what this process recorded since the last checkpoint, so that
	// a CLI command's change is covered as soon as it returns.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	// First the mail logins' queued records and open windows of repeated
	// failures, so that the checkpoint covers them.
	if err := a.AppPasswords.Close(ctx); err != nil {
		a.Log.Error("record mail logins", "err", err)
	}
	if _, err := a.Checkpoint(ctx, false); err != nil {
		a.Log.Error("audit checkpoint", "err", err)
	}
	cancel()
	// A flush a CLI command asked for (which runs no Run), or one asked
	// for as serve stopped, runs now: bounded by mailcache.Timeout.
	a.MailCache.Drain(context.Background())
	if a.Geo != nil {
		a.Geo.Close()
	}
	return a.DB.Close()
}

// JobsInterval is how often the lifecycle jobs run. They act on state, so
// a run that comes late catches up.
const JobsInterval = 5 * time.Minute

// Run runs the background work (lifecycle jobs, outbox delivery and, on
// PostgreSQL, the listeners that wake push waiting pages on another
// process's decision and keep the session cache in step with the other
// processes' changes) until ctx ends, and returns only when all of it has stopped, so Close never pulls the
// database from under a job that is still running.
func (a *App) Run(ctx context.Context) {
	if a.senderNote != "" {
		a.Log.Log(ctx, a.senderLevel, a.senderNote)
	}
	a.AppPasswords.Start() // stopped by Close, after the HTTP server
	var wg sync.WaitGroup
	wg.Go(func() { a.Jobs.Run(ctx, JobsInterval) })
	wg.Go(func() { a.watchBacklog(ctx) })
	wg.Go(func() { a.checkpoints(ctx, a.Cfg.CheckpointInterval) })
	if a.MailCache != nil {
		if err := a.MailCache.Check(); err != nil {
			a.Log.Warn("the Dovecot auth cache flush command cannot run; revoked app passwords work until the cache entries expire", "err", err)
		}
		wg.Go(func() { a.MailCache.Run(ctx) })
	}
	if a.DB.Engine() == "postgres" {
		wg.Go(func() {
			a.DB.ListenPush(ctx, a.Auth.WakePush, store.ListenOptions{Logger: a.Log, Listening: a.pushListening,
				WakeAccount: a.Auth.WakePushFor})
		})
		// Until it listens, sessions are read from the database on every
		// request; then from memory while no process changed them.
		wg.Go(func() { a.DB.ListenChanges(ctx, store.ListenOptions{Logger: a.Log}) })
	}
	wg.Go(func() { a.Worker.Run(ctx) })
	wg.Wait()
}

func (a *App) watchBacklog(ctx context.Context) {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		if n, err := a.DB.Reader().OutboxBacklog(ctx); err == nil {
			a.backlog.Store(int64(n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	apiServer := &api.Server{Auth: a.Auth, Recovery: a.Recovery, Admin: a.Admin, AppPasswords: a.AppPasswords,
		MailAuthSecret: a.Cfg.MailAuthSecret, MailBackends: a.Cfg.MailBackends, Proxies: a.Cfg.TrustedProxies,
		SecureCookies: a.Cfg.SecureCookies(), Log: a.Log, History: a, PushRecheck: a.pushRecheck, Streams: a.Streams}
	apiServer.Register(mux)
	apiServer.RegisterMailAuthHTTP(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.Metrics.Registry, promhttp.HandlerOpts{}))
	registerTestClock(mux, a)
	a.registerWeb(mux)

	var h http.Handler = mux
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteError(w, r, a.Log, varco.E(varco.EForbidden, "error.cross_origin"))
	}))
	h = cop.Handler(h)
	h = httpx.CheckURL(h)
	h = httpx.SecurityHeaders(strings.HasPrefix(a.Cfg.BaseURL, "https://"), h)
	return a.logRequests(h)
}

func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.DB.Ping(ctx); err != nil {
		a.Log.Warn("readyz: database unreachable", "error", err)
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
		return
	}
	if n, err := a.DB.MigrationsPending(ctx); err != nil || n > 0 {
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "migrations pending"})
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready", "database": a.DB.Engine()})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs every request with an id, never its query string (reset,
// not-me and verification links carry tokens there) nor any body, and its
// path with the secrets in it redacted (httpx.LogPath).
func (a *App) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// An id to find the request by, not a secret: math/rand's
		// generator costs nanoseconds, crypto/rand a system call.
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], mrand.Uint64())
		id := hex.EncodeToString(b[:])
		w.Header()["X-Request-Id"] = []string{id}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		a.Metrics.Request(sw.status)
		a.Log.LogAttrs(r.Context(), slog.LevelInfo, "http_request",
			slog.String("request_id", id), slog.String("method", r.Method),
			slog.String("path", httpx.LogPath(r.URL.Path)), slog.Int("status", sw.status),
			slog.Int64("duration_ms", time.Since(start).Milliseconds()),
			slog.String("ip", httpx.ClientIP(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), a.Cfg.TrustedProxies)))
	})
}
