package main

import (
	"fmt"
	"os"
)

// check prints every problem of the configuration, errors first, and
// exits 1 when there is an error.
func check(f *flags) int {
	cfg, probs := f.load(f.configs())
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
