package metrics

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Serve listens on addr (host:port; port 0 picks one) and serves m at
// /metrics until the returned Closer is closed. It logs "metrics" with the
// bound address. Close stops the server and waits for it.
func Serve(addr string, m *Metrics, log *slog.Logger) (io.Closer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<html><head><title>ginetd</title></head><body><a href="/metrics">/metrics</a></body></html>`+"\n")
	})
	srv := &server{
		http: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
		done: make(chan struct{}),
	}
	log.Info("metrics", "addr", ln.Addr().String())
	go func() {
		defer close(srv.done)
		if err := srv.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics", "addr", ln.Addr().String(), "err", err)
		}
	}()
	return srv, nil
}

type server struct {
	http *http.Server
	done chan struct{}
	once sync.Once
	err  error
}

// Close closes the listener and every connection, and waits for the
// server's goroutine.
func (s *server) Close() error {
	s.once.Do(func() {
		s.err = s.http.Close()
		<-s.done
	})
	return s.err
}
