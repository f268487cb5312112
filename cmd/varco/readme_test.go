package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/smtpsink"
)

// readmeBlock returns the indented command block of README's "Using it"
// section, one command per line as written.
func readmeBlock(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(raw), "\n## Using it\n")
	if !ok {
		t.Fatal(`README has no "## Using it" section`)
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	var block []string
	started := false
	for _, line := range strings.Split(sec, "\n") {
		if cmd, ok := strings.CutPrefix(line, "    "); ok {
			started = true
			block = append(block, cmd)
		} else if started {
			break
		}
	}
	if len(block) == 0 {
		t.Fatal(`README's "Using it" section has no command block`)
	}
	return block
}

// TestReadmeUsingIt runs README's "Using it" commands with bash in an empty
// directory, as pasted on a fresh machine: against a varco built here, on a
// free loopback port, with an SMTP sink where the README names its server.
// Each step's answer is checked, and the server must stop cleanly.
func TestReadmeUsingIt(t *testing.T) {
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, tool)
		}
	}
	block := readmeBlock(t)
	if block[0] != "go build -o varco ./cmd/varco" {
		t.Fatalf("the block should start by building varco: %q", block[0])
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "varco"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}

	sink := smtpsink.Start(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	script := strings.Join(block[1:], "\n") + "\n"
	for old, new := range map[string]string{"127.0.0.1:8080": addr, "smtp://127.0.0.1:2525": sink.URL()} {
		if strings.Count(script, old) != 1 {
			t.Fatalf("README block should name %s once:\n%s", old, script)
		}
		script = strings.Replace(script, old, new, 1)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-c", script)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VARCO_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	out := stdout.String()
	if err != nil {
		t.Fatalf("README commands failed: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	for _, step := range []string{
		`organization "acme" created`,
		"user help@provider.example created (id 1, role support)",
		"user mario@acme.example created (id 2, role user)",
		"varco listening on http://" + addr,
		`"email":"mario@acme.example"`,
	} {
		if !strings.Contains(out, step) {
			t.Errorf("README commands did not print %q:\n%s\nstderr:\n%s", step, out, stderr.String())
		}
	}
	if !strings.Contains(stderr.String(), `"msg":"shutting down"`) {
		t.Errorf("the server was not stopped:\n%s", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "varco.db")); err != nil {
		t.Errorf("no database in the directory: %v", err)
	}
}
