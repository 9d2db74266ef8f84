package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

var metricsRE = regexp.MustCompile(`(?:msg=| )metrics addr=(\S+)`)

// scrape URL|LOG: GET URL, or /metrics at the address ginetd logged in LOG
// ("metrics addr=..."; waits 10 s for the line), and copy the body to
// stdout. Also sets $METRICS to the address. With !, the request must fail.
func cmdScrape(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: scrape URL|LOG")
	}
	url := args[0]
	if !strings.HasPrefix(url, "http://") {
		log := waitFor(ts, ts.MkAbs(url), metricsRE, 10*time.Second)
		m := metricsRE.FindAllStringSubmatch(log, -1)
		addr := m[len(m)-1][1]
		ts.Setenv("METRICS", addr)
		url = "http://" + addr + "/metrics"
	}
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Get(url)
	if err == nil && resp.StatusCode != 200 {
		resp.Body.Close()
		err = &statusError{resp.Status}
	}
	if neg {
		if err == nil {
			resp.Body.Close()
			ts.Fatalf("scrape %s: succeeded", url)
		}
		return
	}
	ts.Check(err)
	defer resp.Body.Close()
	_, err = io.Copy(ts.Stdout(), resp.Body)
	ts.Check(err)
}

type statusError struct{ status string }

func (e *statusError) Error() string { return "HTTP " + e.status }
