package pushsink_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"varco.dev/varco/internal/testenv/pushsink"
	"varco.dev/varco/internal/webpush"
)

// TestSinkOpensWhatASenderSends: a message from webpush.Sender arrives
// decrypted with its VAPID key; a wrong key, an unsubscribed endpoint and a
// forced failure are answered as a push service would.
func TestSinkOpensWhatASenderSends(t *testing.T) {
	sink := pushsink.Start(t)
	key, err := webpush.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	vapid := &webpush.VAPID{Key: key, Subject: "mailto:security@provider.test"}
	snd := &webpush.Sender{VAPID: vapid, AllowLoopback: true}
	sub := sink.Subscribe(t)
	if err := snd.Send(context.Background(), sub, []byte(`{"kind":"push_request"}`), webpush.Options{TTL: 2 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	m := sink.Wait(t, 1, 5*time.Second)[0]
	if string(m.Payload) != `{"kind":"push_request"}` || m.VAPIDKey != vapid.PublicKey() || m.TTL != "120" {
		t.Fatalf("received %+v", m)
	}

	sink.FailNext(1, http.StatusServiceUnavailable)
	if err := snd.Send(context.Background(), sub, []byte("x"), webpush.Options{}); err == nil || errors.Is(err, webpush.ErrGone) {
		t.Fatalf("a 503: %v", err)
	}
	sink.Unsubscribe(sub)
	if err := snd.Send(context.Background(), sub, []byte("x"), webpush.Options{}); !errors.Is(err, webpush.ErrGone) {
		t.Fatalf("unsubscribed: %v", err)
	}
	other := sink.Subscribe(t)
	other.Auth = sub.Auth // encrypted to the wrong secret: the browser cannot open it
	if err := snd.Send(context.Background(), other, []byte("x"), webpush.Options{}); !errors.Is(err, webpush.ErrRejected) {
		t.Fatalf("undecryptable: %v", err)
	}
	if len(sink.Messages()) != 1 {
		t.Fatalf("messages: %d", len(sink.Messages()))
	}
}
