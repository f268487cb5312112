package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	ucli "github.com/urfave/cli/v3"

	"varco.dev/varco"
	"varco.dev/varco/internal/importer"
)

// importCommand imports users and their legacy password hashes (SPEC §2.1, §9):
//
//	varco import --format csv|passwd --file F|- [--org N] [--lang it|en] [--dry-run] [--errors FILE]
//
// Bad lines are reported ("line N: reason", never a hash) and skipped; the
// exit status is 0 unless reading, writing or the database fails. A re-run
// skips accounts that already exist, so an interrupted import is resumed by
// running it again.
func (e *env) importCommand() *ucli.Command {
	return e.leaf("import", "import users and their legacy password hashes", []ucli.Flag{
		&ucli.StringFlag{Name: "format", Usage: "csv or passwd (Dovecot passwd-file)"},
		&ucli.StringFlag{Name: "file", Usage: `input file, or "-" for standard input`},
		&ucli.StringFlag{Name: "org", Usage: "organization of every account (passwd files)"},
		&ucli.StringFlag{Name: "lang", Value: varco.LangIT, Usage: "language of the imported accounts: it or en"},
		&ucli.BoolFlag{Name: "dry-run", Usage: "validate everything and write nothing"},
		&ucli.StringFlag{Name: "errors", Usage: "write the bad-line report to this file instead of standard error"},
	}, e.runImport)
}

func (e *env) runImport(ctx context.Context, cmd *ucli.Command) error {
	format, file, org, lang := cmd.String("format"), cmd.String("file"), cmd.String("org"), cmd.String("lang")
	dryRun, errFile := cmd.Bool("dry-run"), cmd.String("errors")
	if format != importer.FormatCSV && format != importer.FormatPasswd {
		fmt.Fprintln(e.stderr, "varco import: --format must be csv or passwd")
		return errUsage
	}
	if file == "" {
		fmt.Fprintln(e.stderr, `varco import: --file is required ("-" for standard input)`)
		return errUsage
	}
	if format == importer.FormatPasswd && org == "" {
		fmt.Fprintln(e.stderr, "varco import: a passwd file needs --org")
		return errUsage
	}
	if lang != varco.LangIT && lang != varco.LangEN {
		fmt.Fprintln(e.stderr, "varco import: --lang must be it or en")
		return errUsage
	}

	var in io.Reader = e.stdin
	var size int64 = -1
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
		in = f
	}
	counted := &countingReader{r: in}

	errOut := e.stderr
	if errFile != "" {
		f, err := os.Create(errFile)
		if err != nil {
			return err
		}
		defer f.Close()
		errOut = f
	}
	errW := bufio.NewWriter(errOut)

	a, err := e.open(ctx, cmd)
	if err != nil {
		return err
	}
	defer a.Close()

	var bar *progressbar.ProgressBar
	if isTerminal(e.stderr) {
		bar = progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(e.stderr),
			progressbar.OptionSetDescription("importing"),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetPredictTime(true),
		)
	}
	lastLine := time.Now()
	progress := func(st importer.Stats) {
		if bar != nil {
			_ = bar.Set64(counted.n)
			return
		}
		if time.Since(lastLine) >= 5*time.Second {
			lastLine = time.Now()
			fmt.Fprintf(e.stderr, "varco import: %d lines read, %d imported, %d skipped, %d errors\n",
				st.Lines, st.Imported, st.Skipped, st.Errors)
		}
	}
	onErr := func(le *importer.LineError) error {
		if bar != nil && errOut == e.stderr {
			_ = bar.Clear()
		}
		if _, err := fmt.Fprintln(errW, le.Error()); err != nil {
			return err
		}
		if errOut == e.stderr {
			return errW.Flush()
		}
		return nil
	}

	st, runErr := importer.Run(ctx, a.DB, counted, importer.Options{
		Format: format, Org: org, Lang: lang, DryRun: dryRun,
		OnError: onErr, OnProgress: progress,
	})
	if bar != nil {
		_ = bar.Finish()
	}
	if err := errW.Flush(); err != nil && runErr == nil {
		runErr = fmt.Errorf("write error report: %w", err)
	}
	if dryRun {
		fmt.Fprintf(e.stdout, "dry run: would import %d, skip %d existing, %d errors (nothing written)\n",
			st.Imported, st.Skipped, st.Errors)
	} else {
		fmt.Fprintf(e.stdout, "imported %d, skipped %d existing, %d errors\n", st.Imported, st.Skipped, st.Errors)
	}
	if runErr != nil {
		return fmt.Errorf("import stopped after line %d: %w", st.Lines, runErr)
	}
	return nil
}

// countingReader counts the bytes read through it (for the progress bar).
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && !strings.EqualFold(os.Getenv("TERM"), "dumb")
}
