package store_test

import (
	"context"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// TestPushSubscriptionGoesWithItsDevice: one subscription per device, a
// new one replaces it, a "gone" removes it only while it is the one sent
// to, and removing or replacing the device removes it.
func TestPushSubscriptionGoesWithItsDevice(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := db.Q
		a := newAccount(t, q, newOrg(t, q, "acme"), "mario@acme.test")
		dev := &store.PushDevice{AccountID: a.ID, PublicID: "dev-1", Kind: "cli", PublicKey: make([]byte, 32), TokenHash: []byte("h1"), CreatedAt: t0}
		if err := q.ReplacePushDevice(ctx, dev); err != nil {
			t.Fatal(err)
		}
		if has, err := q.HasPushSubscriptions(ctx); err != nil || has {
			t.Fatalf("subscriptions before any: %v %v", has, err)
		}
		sub := &store.PushSubscription{DeviceID: dev.ID, AccountID: a.ID, Endpoint: "https://push.test/1", P256dh: "p", Auth: "a", ServerKey: "k", CreatedAt: t0}
		if err := q.ReplacePushSubscription(ctx, sub); err != nil {
			t.Fatal(err)
		}
		sub.Endpoint, sub.CreatedAt = "https://push.test/2", t0.Add(time.Minute)
		if err := q.ReplacePushSubscription(ctx, sub); err != nil {
			t.Fatal(err)
		}
		got, err := q.PushSubscriptionOf(ctx, "dev-1")
		if err != nil || got.Endpoint != "https://push.test/2" || got.DeviceID != dev.ID || got.ServerKey != "k" || !got.CreatedAt.Equal(sub.CreatedAt) {
			t.Fatalf("subscription: %+v %v", got, err)
		}
		if ok, err := q.DeletePushSubscriptionAt(ctx, dev.ID, "https://push.test/1"); err != nil || ok {
			t.Fatalf("gone at the replaced endpoint removed the newer one: %v %v", ok, err)
		}
		if ok, err := q.DeletePushSubscriptionAt(ctx, dev.ID, "https://push.test/2"); err != nil || !ok {
			t.Fatalf("gone: %v %v", ok, err)
		}
		if _, err := q.PushSubscriptionOf(ctx, "dev-1"); !varco.IsCode(err, varco.ENotFound) {
			t.Fatalf("after gone: %v", err)
		}

		for _, remove := range []func() error{
			func() error { _, err := q.DeletePushDevice(ctx, a.ID); return err },
			func() error {
				return q.ReplacePushDevice(ctx, &store.PushDevice{AccountID: a.ID, PublicID: "dev-3", Kind: "cli",
					PublicKey: make([]byte, 32), TokenHash: []byte("h3"), CreatedAt: t0})
			},
		} {
			d := &store.PushDevice{AccountID: a.ID, PublicID: "dev-2", Kind: "cli", PublicKey: make([]byte, 32), TokenHash: []byte("h2"), CreatedAt: t0}
			if err := q.ReplacePushDevice(ctx, d); err != nil {
				t.Fatal(err)
			}
			if err := q.ReplacePushSubscription(ctx, &store.PushSubscription{DeviceID: d.ID, AccountID: a.ID, Endpoint: "https://push.test/3",
				P256dh: "p", Auth: "a", ServerKey: "k", CreatedAt: t0}); err != nil {
				t.Fatal(err)
			}
			if has, err := q.HasPushSubscription(ctx, d.ID); err != nil || !has {
				t.Fatalf("subscribed: %v %v", has, err)
			}
			if err := remove(); err != nil {
				t.Fatal(err)
			}
			if has, err := q.HasPushSubscriptions(ctx); err != nil || has {
				t.Fatalf("the subscription outlived its device: %v %v", has, err)
			}
		}
	})
}
