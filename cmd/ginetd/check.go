package main

import (
	"fmt"
	"os"

	"github.com/ginetd/ginetd/internal/loader"
)

// check prints every problem of the configuration, errors first, and
// exits 1 when there is an error.
func check(paths []string, opts loader.Options) int {
	cfg, probs := loader.Load(paths, opts)
	for _, p := range probs.Errors() {
		fmt.Println(p.Error())
	}
	for _, p := range probs.Warnings() {
		fmt.Println(p.Error())
	}
	if probs.HasErrors() {
		fmt.Fprintf(os.Stderr, "ginetd: %d error(s), %d warning(s)\n", len(probs.Errors()), len(probs.Warnings()))
		return exitConfig
	}
	fmt.Printf("ok: %d service(s), %d warning(s)\n", len(cfg.Services), len(probs.Warnings()))
	return exitOK
}
