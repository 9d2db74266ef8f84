package config

import (
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	tests := []struct {
		name        string
		svc         Service
		rate        int // -R through Rate, 0 = not given
		wantRate    int
		wantCPS     int
		wantCPSWait time.Duration
	}{
		{"inetd", Service{Dialect: DialectInetd}, 0, DefaultRate, NoLimit, 0},
		{"netbsd", Service{Dialect: DialectNetBSD}, 0, DefaultRate, NoLimit, 0},
		{"inetd .MAX", Service{Dialect: DialectInetd, MaxRate: 5}, 0, 5, NoLimit, 0},
		{"inetd .0", Service{Dialect: DialectInetd, MaxRate: Rate(0)}, 0, NoLimit, NoLimit, 0},
		{"inetd -R 10", Service{Dialect: DialectInetd}, 10, 10, NoLimit, 0},
		{"inetd -R 0", Service{Dialect: DialectInetd}, Rate(0), NoLimit, NoLimit, 0},
		{"xinetd", Service{Dialect: DialectXinetd}, 0, NoLimit, 50, 10 * time.Second},
		{"xinetd built-in", Service{Dialect: DialectXinetd, Builtin: "echo"}, 0, NoLimit, NoLimit, 0},
		{"xinetd cps", Service{Dialect: DialectXinetd, CPSRate: 7, CPSPause: time.Second}, 0, NoLimit, 7, time.Second},
		{"xinetd cps 0", Service{Dialect: DialectXinetd, CPSRate: Rate(0)}, 0, NoLimit, NoLimit, 0},
		{"xinetd -R 10", Service{Dialect: DialectXinetd}, 10, 10, NoLimit, 0},
		{"xinetd -R 0", Service{Dialect: DialectXinetd}, Rate(0), NoLimit, NoLimit, 0},
		{"xinetd -R 10 cps", Service{Dialect: DialectXinetd, CPSRate: 7, CPSPause: time.Second}, 10, 10, 7, time.Second},
	}
	for _, tt := range tests {
		s := tt.svc
		s.Defaults(tt.rate)
		if s.MaxRate != tt.wantRate || s.CPSRate != tt.wantCPS || s.CPSPause != tt.wantCPSWait {
			t.Errorf("%s: MaxRate %d, cps %d %v; want %d, %d %v", tt.name, s.MaxRate, s.CPSRate, s.CPSPause, tt.wantRate, tt.wantCPS, tt.wantCPSWait)
		}
		if err := s.Prepared(); err != nil {
			t.Errorf("%s: Prepared: %v", tt.name, err)
		}
	}
	var s Service
	if s.Prepared() != ErrDefaults {
		t.Error("Prepared accepts a service without its defaults")
	}
}
