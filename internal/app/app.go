// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/berthdev/berth/internal/version"
)

// command is one berth subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"server", "run the control plane: every AWS API on one port", runServer},
		{"agent", "run the host agent: metadata service, ECS agent, task credentials, Docker tasks", runAgent},
		{"up", "run the control plane and an agent on this machine, set up: the quick start", runUp},
		{"sim-agents", "run N simulated container instances speaking the agent protocol", runSimAgents},
		{"version", "print the version", func(_ context.Context, _ []string, stdout, _ io.Writer) error {
			fmt.Fprintln(stdout, "berth", version.String())
			return nil
		}},
	}
}

// errUsage marks a command-line mistake; Main exits 2 for it.
var errUsage = errors.New("usage")

// Main runs berth with args (without the program name) and returns the
// process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(stderr, "berth %s: %v\nRun `berth %s --help` for its flags.\n", c.name, err, c.name)
			return 2
		default:
			fmt.Fprintf(stderr, "berth %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "berth: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "berth %s — a self-hosted, AWS-compatible container platform\n\nUsage:\n  berth <command> [flags]\n\nCommands:\n", version.String())
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun `berth <command> --help` for a command's flags.\n")
}

// newFlagSet returns a flag set that prints its usage to w.
func newFlagSet(name, synopsis string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: berth %s [flags]\n\n%s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args with fs; a parse error (the flag package has
// printed it with the usage) or a positional argument (no command takes
// one) is a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return err
	case err != nil:
		return fmt.Errorf("%w: %v", errUsage, err)
	case fs.NArg() > 0:
		fs.Usage()
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}

// newLogger builds the process logger. Logs are structured and never
// carry secrets (see internal/logkey.Redact).
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("%w: --log-level %q: want debug, info, warn or error", errUsage, level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("%w: --log-format %q: want text or json", errUsage, format)
}

// defaultDataDir is the per-user data directory: $XDG_DATA_HOME/berth or
// ~/.local/share/berth.
func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return d + "/berth"
	}
	if h, err := os.UserHomeDir(); err == nil {
		return h + "/.local/share/berth"
	}
	return "berth-data"
}
