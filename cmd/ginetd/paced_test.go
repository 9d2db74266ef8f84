package main

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// paced RATE DURATION ADDR...: open RATE connections a second to each
// ADDR for DURATION (RATE×DURATION connections each, started on a ticker,
// not waited for before the next), each reading to EOF (20 s) and served
// if it got at least one byte. Prints "ADDR ok=N failed=M" per address.
// Every one must be served; with !, at least one must not be.
func cmdPaced(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: paced RATE DURATION ADDR...")
	}
	rate, err := strconv.Atoi(args[0])
	ts.Check(err)
	d, err := time.ParseDuration(args[1])
	ts.Check(err)
	n := int(int64(rate) * int64(d) / int64(time.Second))
	if rate <= 0 || n <= 0 || n > 100000 {
		ts.Fatalf("paced: bad rate %s or duration %s", args[0], args[1])
	}
	addrs := args[2:]
	ok := make([]atomic.Int64, len(addrs))
	failed := make([]atomic.Int64, len(addrs))
	first := make([]atomic.Value, len(addrs))
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i := 0; i < n; i++ {
		if i > 0 {
			<-tick.C
		}
		for j, addr := range addrs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := fetch(addr); err != nil {
					failed[j].Add(1)
					first[j].CompareAndSwap(nil, err.Error())
				} else {
					ok[j].Add(1)
				}
			}()
		}
	}
	wg.Wait()
	bad := false
	for j, addr := range addrs {
		fmt.Fprintf(ts.Stdout(), "%s ok=%d failed=%d\n", addr, ok[j].Load(), failed[j].Load())
		if failed[j].Load() > 0 {
			bad = true
			ts.Logf("%s: first failure: %v", addr, first[j].Load())
		}
	}
	if bad != neg {
		if neg {
			ts.Fatalf("paced: every connection was served")
		}
		ts.Fatalf("paced: some connections were not served")
	}
}
