package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/connlab/connlab/internal/wire"
	"github.com/connlab/connlab/server"
)

const testToken = "s3cret-Token_0123456789abcdef"

// exposed is a server configured as main configures a non-loopback bind
// (the test listener itself stays on 127.0.0.1).
func exposed(allow ...string) func(*server.Config) {
	return func(c *server.Config) {
		c.Addr = "0.0.0.0:9000"
		c.Token = testToken
		c.AllowHosts = allow
	}
}

// send makes one request without following redirects; header "Host" sets
// the Host header.
func send(t *testing.T, e *env, method, path string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	client := &http.Client{
		Transport:     e.client.Transport,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func errorCode(t *testing.T, body string) string {
	t.Helper()
	var eb wire.ErrorBody
	if err := json.Unmarshal([]byte(body), &eb); err != nil {
		t.Fatalf("not a JSON error body: %q", body)
	}
	return eb.Error.Code
}

func TestTokenRequiredWhenExposed(t *testing.T) {
	e := newEnv(t, exposed())
	cookie := "connlab_token_9000=" + testToken
	cases := []struct {
		name   string
		path   string
		header map[string]string
		status int
	}{
		{"API without token", "/api/ports", nil, 401},
		{"API with wrong bearer", "/api/ports", map[string]string{"Authorization": "Bearer nope"}, 401},
		{"API with bearer", "/api/ports", map[string]string{"Authorization": "Bearer " + testToken}, 200},
		{"API with bearer, scheme in lower case", "/api/ports", map[string]string{"Authorization": "bearer " + testToken}, 200},
		{"API with a Basic header", "/api/ports", map[string]string{"Authorization": "Basic " + testToken}, 401},
		{"API with query", "/api/ports?token=" + testToken, nil, 200},
		{"API with wrong query", "/api/ports?token=" + testToken + "x", nil, 401},
		{"API with cookie", "/api/ports", map[string]string{"Cookie": cookie}, 200},
		{"API with wrong cookie", "/api/ports", map[string]string{"Cookie": "connlab_token_9000=nope"}, 401},
		{"API with another port's cookie", "/api/ports", map[string]string{"Cookie": "connlab_token_9001=" + testToken}, 401},
		{"page without token", "/", nil, 401},
		{"deep link without token", "/watch/8081", nil, 401},
		{"asset without token", "/assets/index-Ab12Cd.js", nil, 401},
		{"page with cookie", "/lab", map[string]string{"Cookie": cookie}, 200},
		{"page with bearer", "/", map[string]string{"Authorization": "Bearer " + testToken}, 200},
		{"page with wrong query token", "/?token=nope", map[string]string{"Cookie": cookie}, 401},
		{"healthz needs no token", "/healthz", nil, 200},
		{"unknown API route", "/api/nope", nil, 401},
	}
	for _, c := range cases {
		resp, body := send(t, e, "GET", c.path, c.header)
		if resp.StatusCode != c.status {
			t.Errorf("%s: GET %s = %d %s, want %d", c.name, c.path, resp.StatusCode, body, c.status)
			continue
		}
		if c.status == 401 {
			if code := errorCode(t, body); code != "unauthorized" {
				t.Errorf("%s: code %q, want unauthorized", c.name, code)
			}
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: 401 without WWW-Authenticate", c.name)
			}
		}
	}
	// Writes too: a POST with a JSON body and no token.
	resp := e.do("POST", "/api/ports", "application/json", `{"port":8081}`, nil)
	if resp.StatusCode != 401 {
		t.Errorf("POST /api/ports without token = %d, want 401", resp.StatusCode)
	}
}

func TestTokenURLSetsCookieAndRedirects(t *testing.T) {
	e := newEnv(t, exposed())
	cases := map[string]string{
		"/?token=" + testToken: "/",
		"/lab?preset=pool-churn&token=" + testToken + "&requests=5": "/lab?preset=pool-churn&requests=5",
		"/watch/8081?token=" + testToken:                            "/watch/8081",
		"//evil.example/x?token=" + testToken:                       "/evil.example/x", // never a redirect off this server
	}
	for path, want := range cases {
		resp, body := send(t, e, "GET", path, nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("GET %s = %d Location %q (%s), want 303 to %q", path, resp.StatusCode, resp.Header.Get("Location"), body, want)
			continue
		}
		var got *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == "connlab_token_9000" {
				got = c
			}
		}
		if got == nil || got.Value != testToken || !got.HttpOnly || got.SameSite != http.SameSiteStrictMode || got.Path != "/" {
			t.Errorf("GET %s: cookie %+v, want connlab_token_9000, HttpOnly, SameSite=Strict, Path=/", path, got)
		}
		if strings.Contains(resp.Header.Get("Location"), testToken) {
			t.Errorf("GET %s: the redirect still carries the token", path)
		}
	}
	// A link on another site: a page of ours moves on (a 303 would lose the
	// Strict cookie, see hop), with the cookie set all the same.
	resp, body := send(t, e, "GET", "/lab?preset=x&token="+testToken, map[string]string{"Sec-Fetch-Site": "cross-site"})
	if resp.StatusCode != 200 || !strings.Contains(body, `<meta http-equiv="refresh" content="0;url=/lab?preset=x">`) ||
		!strings.Contains(resp.Header.Get("Set-Cookie"), "connlab_token_9000="+testToken) || strings.Contains(body, testToken) {
		t.Errorf("cross-site token link = %d %q Set-Cookie %q, want 200, a refresh to /lab?preset=x and the cookie",
			resp.StatusCode, body, resp.Header.Get("Set-Cookie"))
	}
	if resp, _ := send(t, e, "GET", "/?token="+testToken, map[string]string{"Sec-Fetch-Site": "none"}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("typed token URL (Sec-Fetch-Site: none) = %d, want 303", resp.StatusCode)
	}
	// The cookie alone opens the page afterwards.
	resp, body = send(t, e, "GET", "/", map[string]string{"Cookie": "connlab_token_9000=" + testToken})
	if resp.StatusCode != 200 || !strings.Contains(body, "<title>connlab</title>") {
		t.Fatalf("page with the cookie = %d %q", resp.StatusCode, body)
	}
}

func TestWebsocketToken(t *testing.T) {
	e := newEnv(t, exposed())
	wsURL := "ws" + strings.TrimPrefix(e.url, "http") + "/ws"
	dial := func(query string, h http.Header) (int, error) {
		if h == nil {
			h = http.Header{}
		}
		h.Set("Origin", e.url)
		c, resp, err := websocket.DefaultDialer.Dial(wsURL+query, h)
		if err == nil {
			readType(t, c, wire.TypeHello)
			c.Close()
		}
		if resp == nil {
			return 0, err
		}
		return resp.StatusCode, err
	}
	for name, c := range map[string]struct {
		query  string
		header http.Header
		status int
	}{
		"none":         {"", nil, 401},
		"wrong cookie": {"", http.Header{"Cookie": {"connlab_token_9000=x"}}, 401},
		"cookie":       {"", http.Header{"Cookie": {"connlab_token_9000=" + testToken}}, 101},
		"bearer":       {"", http.Header{"Authorization": {"Bearer " + testToken}}, 101},
		"query":        {"?token=" + testToken, nil, 101},
		"wrong query":  {"?token=x", nil, 401},
	} {
		status, err := dial(c.query, c.header)
		if status != c.status {
			t.Errorf("websocket with %s token: status %d (%v), want %d", name, status, err, c.status)
		}
	}
}

func TestLoopbackNeedsNoToken(t *testing.T) {
	e := newEnv(t) // 127.0.0.1, no token: as before
	for _, path := range []string{"/", "/api/ports", "/healthz", "/?token=whatever"} {
		if resp, body := send(t, e, "GET", path, nil); resp.StatusCode != 200 {
			t.Errorf("GET %s on loopback without a token = %d %s", path, resp.StatusCode, body)
		}
	}
	c, _, err := dialWS(t, e, e.url)
	if err != nil {
		t.Fatalf("websocket on loopback without a token: %v", err)
	}
	c.Close()
}

func TestTokenOnLoopbackWhenGiven(t *testing.T) {
	// -token (or CONNLAB_TOKEN) on a loopback address: required all the same.
	e := newEnv(t, func(c *server.Config) { c.Token = testToken })
	if resp, _ := send(t, e, "GET", "/api/ports", nil); resp.StatusCode != 401 {
		t.Fatalf("loopback with a token, none sent: %d, want 401", resp.StatusCode)
	}
	if resp, _ := send(t, e, "GET", "/api/ports", map[string]string{"Authorization": "Bearer " + testToken}); resp.StatusCode != 200 {
		t.Fatalf("loopback with a token, bearer sent: %d, want 200", resp.StatusCode)
	}
	// The Host check stays as on loopback.
	if resp, _ := send(t, e, "GET", "/healthz", map[string]string{"Host": "evil.example"}); resp.StatusCode != 403 {
		t.Fatalf("loopback with a token, foreign Host: %d, want 403", resp.StatusCode)
	}
}

func TestAllowHostWhenExposed(t *testing.T) {
	e := newEnv(t, exposed("Dash.LAN"))
	auth := "Bearer " + testToken
	for host, want := range map[string]int{
		"dash.lan": 200, "dash.lan:9000": 200, "DASH.lan": 200, "localhost:9000": 200, "10.1.2.3:9000": 200, "[fe80::1]:9000": 200,
		"evil.example": 403, "dash.lan.evil.example": 403, "evil.example:9000": 403,
	} {
		resp, body := send(t, e, "GET", "/api/ports", map[string]string{"Host": host, "Authorization": auth})
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d %s, want %d", host, resp.StatusCode, body, want)
		}
	}
	// Host is checked before the token: a rebinding page learns nothing.
	if resp, body := send(t, e, "GET", "/", map[string]string{"Host": "evil.example"}); resp.StatusCode != 403 || errorCode(t, body) != "forbidden_host" {
		t.Errorf("foreign Host without token: %d %s, want 403 forbidden_host", resp.StatusCode, body)
	}
	// Without -allow-host any Host passes, the token still required.
	open := newEnv(t, exposed())
	if resp, _ := send(t, open, "GET", "/api/ports", map[string]string{"Host": "evil.example", "Authorization": auth}); resp.StatusCode != 200 {
		t.Errorf("exposed without -allow-host, any Host with token: %d, want 200", resp.StatusCode)
	}
	if resp, _ := send(t, open, "GET", "/api/ports", map[string]string{"Host": "evil.example"}); resp.StatusCode != 401 {
		t.Errorf("exposed without -allow-host, no token: %d, want 401", resp.StatusCode)
	}
}

func TestSecurityHeadersEverywhere(t *testing.T) {
	e := newEnv(t, exposed("dash.lan"))
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	with := func(extra map[string]string) map[string]string {
		h := map[string]string{}
		for k, v := range auth {
			h[k] = v
		}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	cases := []struct {
		method, path string
		header       map[string]string
		status       int
	}{
		{"GET", "/", auth, 200},
		{"GET", "/assets/index-Ab12Cd.js", auth, 200},
		{"GET", "/assets/missing.js", auth, 404},
		{"GET", "/api/ports", auth, 200},
		{"GET", "/api/nope", auth, 404},
		{"DELETE", "/api/ports", auth, 405},
		{"POST", "/", auth, 405},
		{"GET", "/api/ports/99999", auth, 400},
		{"GET", "/healthz", nil, 200},
		{"GET", "/api/ports", nil, 401},
		{"GET", "/?token=bad", nil, 401},
		{"GET", "/?token=" + testToken, nil, 303},
		{"GET", "/api/ports", with(map[string]string{"Host": "evil.example"}), 403},
		{"GET", "/ws", auth, 400}, // not an upgrade: refused by the upgrader
		{"GET", "/ws", with(map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
			"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": "http://evil.example"}), 403},
	}
	want := map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "no-referrer",
	}
	for _, c := range cases {
		resp, body := send(t, e, c.method, c.path, c.header)
		if resp.StatusCode != c.status {
			t.Errorf("%s %s = %d %s, want %d", c.method, c.path, resp.StatusCode, body, c.status)
		}
		for k, v := range want {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s %s (%d): %s = %q, want %q", c.method, c.path, resp.StatusCode, k, got, v)
			}
		}
		csp := resp.Header.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s %s: CSP %q lacks %s", c.method, c.path, csp, d)
			}
		}
		if strings.Contains(csp, "unsafe") || strings.Contains(csp, "*") {
			t.Errorf("%s %s: CSP %q allows more than self", c.method, c.path, csp)
		}
	}
}

func TestWebsocketCap(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.MaxWebsockets = 2 })
	var open []*websocket.Conn
	for range 2 {
		c, _, err := dialWS(t, e, e.url)
		if err != nil {
			t.Fatal(err)
		}
		readType(t, c, wire.TypeHello)
		open = append(open, c)
	}
	_, resp, err := dialWS(t, e, e.url)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third websocket past a cap of 2: %v %v, want 503 with Retry-After", resp, err)
	}
	// Closing one frees its slot once its session has ended.
	open[0].Close()
	eventually(t, waitLong, "a free websocket slot", func() bool {
		c, _, err := dialWS(t, e, e.url)
		if err != nil {
			return false
		}
		open[0] = c
		return true
	})
	for _, c := range open {
		c.Close()
	}
}

func TestErrorsQuoteLittleOfTheInput(t *testing.T) {
	e := newEnv(t)
	huge := strings.Repeat("A", 60<<10)
	check := func(what string, status int, body string) {
		t.Helper()
		var eb wire.ErrorBody
		if err := json.Unmarshal([]byte(body), &eb); err != nil {
			t.Fatalf("%s: not JSON (%d): %.200q", what, status, body)
		}
		if status < 400 || len(eb.Error.Message) > 600 || len(eb.Error.Field) > 300 {
			t.Errorf("%s: %d, message %d bytes, field %d bytes: error messages must quote at most ~200 bytes of the input",
				what, status, len(eb.Error.Message), len(eb.Error.Field))
		}
		if !strings.Contains(eb.Error.Message, "AAAA") && !strings.Contains(eb.Error.Field, "AAAA") {
			t.Errorf("%s: the message %q no longer shows the start of the input", what, eb.Error.Message)
		}
	}
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/ports", `{"port":"` + huge + `"}`},
		{"POST", "/api/ports", `{"` + huge + `":1}`},
		{"GET", "/api/ports/" + huge, ""},
		{"GET", "/api/ports/1/timeline?since=" + huge, ""},
		{"GET", "/api/" + huge, ""},
		{"POST", "/api/experiments", `{"preset":"` + huge + `"}`},
		{"POST", "/api/experiments", `{"preset":"keepalive-default","` + huge + `":1}`},
		{"POST", "/api/experiments", `{"preset":"keepalive-default","method":"` + huge + `"}`},
		{"POST", "/api/experiments", `{"preset":"keepalive-default","observe":"` + huge + `"}`},
		{"GET", "/api/experiments/" + huge, ""},
	} {
		req, _ := http.NewRequest(c.method, e.url+c.path, strings.NewReader(c.body))
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		check(c.method+" "+c.path[:min(len(c.path), 40)]+" "+c.body[:min(len(c.body), 40)], resp.StatusCode, string(b))
	}
}
