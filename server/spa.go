package server

import (
	"bytes"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// spa serves the embedded single-page app: files as they are, hashed build
// files (under /assets/) cached as immutable, index.html never cached, and
// index.html for any other path without a file extension so deep links such
// as /watch/8081 load the app. A missing file with an extension (.js, .css,
// .png...) is a 404: answering it with HTML would hide a broken build.
func (s *Server) spa() http.HandlerFunc {
	index, _ := fs.ReadFile(s.cfg.Assets, "index.html")
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", clipIn(r.Method, maxQuoted)+" is not allowed on "+clipIn(r.URL.Path, maxQuoted), "")
			return
		}
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name != "" && name != "index.html" {
			if f, err := s.cfg.Assets.Open(name); err == nil {
				st, statErr := f.Stat()
				_ = f.Close()
				if statErr == nil && !st.IsDir() {
					if strings.HasPrefix(name, "assets/") {
						w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
					} else {
						w.Header().Set("Cache-Control", "no-cache")
					}
					http.ServeFileFS(w, r, s.cfg.Assets, name)
					return
				}
			}
			if path.Ext(name) != "" {
				http.Error(w, "404 page not found", http.StatusNotFound)
				return
			}
		}
		if index == nil {
			http.Error(w, "the web app is not built: run make web", http.StatusNotFound)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(index))
	}
}
