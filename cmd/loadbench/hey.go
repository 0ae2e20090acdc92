package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// heyModule is what `go install` fetches when hey is missing: pinned, so
// every machine measures against the same hey (the README's figures are
// v0.1.5's).
const heyModule = "github.com/rakyll/hey@v0.1.5"

// errNoHey: hey is not installed and installing was not allowed.
var errNoHey = errors.New("hey is not installed")

// findHey returns the hey binary: path when given, else hey on PATH, else
// the one in our cache directory, else (when install) it installs it there
// with `go install` (GOBIN set to that directory).
func findHey(ctx context.Context, path string, install bool, stderr io.Writer) (string, error) {
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("hey: %w", err)
		}
		return path, nil
	}
	if p, err := exec.LookPath("hey"); err == nil {
		return p, nil
	}
	dir, err := heyDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "hey")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if !install {
		return "", errNoHey
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("install hey: no go command on PATH: %w", err)
	}
	fmt.Fprintf(stderr, "loadbench: installing %s into %s\n", heyModule, dir)
	cmd := exec.CommandContext(ctx, goBin, "install", heyModule)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	cmd.Dir = dir // outside the module: `go install pkg@version` ignores go.mod anyway
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go install %s: %w\n%s", heyModule, err, out.Bytes())
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("go install %s: no binary at %s: %w", heyModule, bin, err)
	}
	return bin, nil
}

// heyDir is where hey is installed: <user cache>/connlab/bin.
func heyDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "connlab", "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("hey directory: %w", err)
	}
	return dir, nil
}

// heyVersion is the module version the binary was built from ("v0.1.5"),
// from `go version -m`; "" when unknown.
func heyVersion(ctx context.Context, bin string) string {
	out, err := exec.CommandContext(ctx, "go", "version", "-m", bin).Output()
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "mod" && f[1] == "github.com/rakyll/hey" {
			return f[2]
		}
	}
	return ""
}

// heyRun is what one hey run reported.
type heyRun struct {
	rps       float64
	responses int           // with a status code
	errors    int           // transport errors and non-2xx responses
	cpu       time.Duration // hey's own CPU time (user + system)
}

// runHey sends n requests to url with c workers, as fast as hey can.
func runHey(ctx context.Context, bin, url string, n, c int, keepAlive bool) (heyRun, error) {
	args := []string{"-n", strconv.Itoa(n), "-c", strconv.Itoa(c)}
	if !keepAlive {
		args = append(args, "-disable-keepalive")
	}
	args = append(args, url)
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return heyRun{}, fmt.Errorf("hey %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(errOut.Bytes()))
	}
	r, err := parseHey(out.Bytes())
	if err != nil {
		return heyRun{}, fmt.Errorf("hey %s: %w", strings.Join(args, " "), err)
	}
	r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return r, nil
}

// parseHey reads hey's summary: "Requests/sec:", the status code
// distribution ("[200]	1000 responses") and the error distribution
// ("[12]	Get ...: connection reset by peer").
func parseHey(out []byte) (heyRun, error) {
	var r heyRun
	found := false
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "Requests/sec:"):
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, "Requests/sec:")), 64)
			if err != nil {
				return r, fmt.Errorf("parse %q: %w", line, err)
			}
			r.rps, found = v, true
		case strings.HasSuffix(line, ":") && !strings.HasPrefix(line, "["):
			section = line
		case strings.HasPrefix(line, "["):
			count, ok := bracketCount(line, section)
			if !ok {
				continue
			}
			switch section {
			case "Status code distribution:":
				r.responses += count
				if !strings.HasPrefix(line, "[2") {
					r.errors += count // not a 2xx
				}
			case "Error distribution:":
				r.errors += count
			}
		}
	}
	if !found {
		return r, errors.New("no Requests/sec in its output")
	}
	return r, nil
}

// bracketCount reads the count of a distribution line: "[200]	N responses"
// (status codes) or "[N]	message" (errors).
func bracketCount(line, section string) (int, bool) {
	inside, rest, ok := strings.Cut(strings.TrimPrefix(line, "["), "]")
	if !ok {
		return 0, false
	}
	field := inside
	if section == "Status code distribution:" {
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0, false
		}
		field = f[0]
	}
	n, err := strconv.Atoi(field)
	return n, err == nil
}
