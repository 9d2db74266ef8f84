package spawn

import (
	"os"
	"strings"
)

// unwanted reports whether an environment variable of ginetd's own must
// never reach a child: systemd's socket activation and notification
// variables describe ginetd, not the child.
func unwanted(kv string) bool {
	return strings.HasPrefix(kv, "LISTEN_") || strings.HasPrefix(kv, "NOTIFY_SOCKET=") ||
		strings.HasPrefix(kv, "WATCHDOG_") || strings.HasPrefix(kv, "GINETD_")
}

// BaseEnv returns the environment every child of a service starts from:
// ginetd's own environment when inherit is set (inetd.conf), else exactly
// env plus the passenv variables found in ginetd's environment (xinetd).
// The result is computed once per service at load time.
func BaseEnv(inherit bool, env, passenv []string) []string {
	var out []string
	if inherit {
		for _, kv := range os.Environ() {
			if !unwanted(kv) {
				out = append(out, kv)
			}
		}
	}
	for _, name := range passenv {
		if v, ok := os.LookupEnv(name); ok {
			out = append(out, name+"="+v)
		}
	}
	for _, kv := range env {
		if !unwanted(kv) {
			out = append(out, kv)
		}
	}
	return out
}
