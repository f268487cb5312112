-- Web Push (SPEC §6.6): where the authenticator app, when closed, is
-- reached. One subscription per device, removed with it. endpoint is a
-- bearer capability of the browser's push service and auth a secret of
-- the browser: neither is ever logged. server_key is the VAPID public key
-- the subscription was made under: one made under another key cannot be
-- delivered to and is dropped.
CREATE TABLE push_subscriptions (
    device_id   BIGINT  PRIMARY KEY REFERENCES push_devices(id),
    account_id  BIGINT  NOT NULL REFERENCES accounts(id),
    endpoint    TEXT    NOT NULL,
    p256dh      TEXT    NOT NULL,
    auth        TEXT    NOT NULL,
    server_key  TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX push_subscriptions_account ON push_subscriptions(account_id);

-- A message that is worthless after a time (a push request's notification
-- once the request expired) is never sent, nor retried, past it; 0 = never.
ALTER TABLE outbox ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
