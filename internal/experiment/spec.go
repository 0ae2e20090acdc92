package experiment

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Spec is one experiment: the workload, the server and the client. The JSON
// field names are the keys of `connlab run -set key=value` (dotted for the
// nested ones: "server.idleTimeout", "client.tcpKeepAlive.idle").
// Durations are Go duration strings ("1s", "250ms").
type Spec struct {
	// Preset names the preset the spec started from ("" for none).
	Preset string `json:"preset"`
	// Requests to send in all (0: bound by Duration, or until stopped).
	Requests int `json:"requests"`
	// Duration bounds the workload (0: bound by Requests, or until stopped).
	// With both 0 the run goes on until stopped, at most MaxDuration.
	Duration Duration `json:"duration"`
	// Interval is each worker's pause between requests.
	Interval Duration `json:"interval"`
	// Rate is a target total request rate (per second, all workers); when
	// set it replaces Interval.
	Rate float64 `json:"rate"`
	// Concurrency is the number of client workers.
	Concurrency int `json:"concurrency"`
	// Method is GET or POST (POST sends a small body and is never retried).
	Method string `json:"method"`
	// BodyBytes is the size of each response body.
	BodyBytes int `json:"bodyBytes"`
	// Observe is how long to keep watching after the workload ends, with
	// connections left as they are (idle timeouts fire, TIME_WAIT drains).
	Observe Duration   `json:"observe"`
	Server  ServerSpec `json:"server"`
	Client  ClientSpec `json:"client"`
}

// ServerSpec configures the in-process http.Server.
type ServerSpec struct {
	// KeepAlives: SetKeepAlivesEnabled.
	KeepAlives bool `json:"keepAlives"`
	// IdleTimeout, ReadTimeout, ReadHeaderTimeout: the http.Server fields
	// (0: none; IdleTimeout 0 falls back to ReadTimeout, as in net/http).
	IdleTimeout       Duration `json:"idleTimeout"`
	ReadTimeout       Duration `json:"readTimeout"`
	ReadHeaderTimeout Duration `json:"readHeaderTimeout"`
	// Delay is how long the handler waits before answering.
	Delay Duration `json:"delay"`
	// Framing of the response body: FramingLength or FramingChunked.
	Framing string `json:"framing"`
	// Protocol: ProtoHTTP1, or ProtoH2C (HTTP/1.1 and unencrypted HTTP/2).
	Protocol string `json:"protocol"`
	// RestartAfter: after this many requests the server closes its listener
	// and every connection, stays away restartDowntime, and listens again on
	// the same port (0: never).
	RestartAfter int `json:"restartAfter"`
}

// ClientSpec configures the client workload.
type ClientSpec struct {
	// DisableKeepAlives: http.Transport.DisableKeepAlives.
	DisableKeepAlives bool `json:"disableKeepAlives"`
	// Body is what the client does with each response body: BodyReadClose,
	// BodyCloseUnread, BodyReadNoClose or BodyPartialClose.
	Body string `json:"body"`
	// MaxIdleConnsPerHost, MaxConnsPerHost, IdleConnTimeout: the
	// http.Transport fields (0: Go's defaults: 2 idle, no limit, none).
	MaxIdleConnsPerHost int      `json:"maxIdleConnsPerHost"`
	MaxConnsPerHost     int      `json:"maxConnsPerHost"`
	IdleConnTimeout     Duration `json:"idleConnTimeout"`
	// Protocol: ProtoHTTP1 (Go's Transport), ProtoH2C (Transport with
	// unencrypted HTTP/2, prior knowledge), ProtoHTTP10 or
	// ProtoHTTP10KeepAlive (a raw HTTP/1.0 client over net.Conn, without or
	// with `Connection: keep-alive`).
	Protocol string `json:"protocol"`
	// TCPKeepAlive configures the dialer's TCP keepalive (net.KeepAliveConfig).
	TCPKeepAlive TCPKeepAlive `json:"tcpKeepAlive"`
}

// TCPKeepAlive is net.KeepAliveConfig. Enable false turns keepalive off;
// zero Idle, Interval or Count mean Go's defaults (15 s, 15 s, 9).
type TCPKeepAlive struct {
	Enable   bool     `json:"enable"`
	Idle     Duration `json:"idle"`
	Interval Duration `json:"interval"`
	Count    int      `json:"count"`
}

// Enumerations of the spec.
const (
	MethodGet  = "GET"
	MethodPost = "POST"

	FramingLength  = "content-length"
	FramingChunked = "chunked"

	ProtoHTTP1           = "http1"
	ProtoH2C             = "h2c"
	ProtoHTTP10          = "http10"
	ProtoHTTP10KeepAlive = "http10-keepalive"

	BodyReadClose    = "read-close"    // read to EOF, then Close
	BodyCloseUnread  = "close-unread"  // Close without reading
	BodyReadNoClose  = "read-no-close" // read to EOF, never Close
	BodyPartialClose = "partial-close" // read partialReadBytes, then Close
)

var (
	methods          = []string{MethodGet, MethodPost}
	framings         = []string{FramingLength, FramingChunked}
	serverProtocols  = []string{ProtoHTTP1, ProtoH2C}
	clientProtocols  = []string{ProtoHTTP1, ProtoH2C, ProtoHTTP10, ProtoHTTP10KeepAlive}
	bodyModes        = []string{BodyReadClose, BodyCloseUnread, BodyReadNoClose, BodyPartialClose}
	defaultKeepAlive = TCPKeepAlive{Enable: true, Idle: Duration(15 * time.Second), Interval: Duration(15 * time.Second), Count: 9}
)

// Default is the spec every preset starts from: Go's defaults on both
// sides, 20 sequential requests of a 1 KiB body, and an observe tail of up
// to DefaultObserve (it ends sooner once nothing is left to drain).
func Default() Spec {
	return Spec{
		Requests:    20,
		Concurrency: 1,
		Method:      MethodGet,
		BodyBytes:   1024,
		Observe:     Duration(DefaultObserve),
		Server: ServerSpec{
			KeepAlives: true,
			Framing:    FramingLength,
			Protocol:   ProtoHTTP1,
		},
		Client: ClientSpec{
			Body:            BodyReadClose,
			IdleConnTimeout: Duration(90 * time.Second), // as http.DefaultTransport
			Protocol:        ProtoHTTP1,
			TCPKeepAlive:    defaultKeepAlive,
		},
	}
}

// Validate checks every field against its limits and enumeration; the
// error is a *FieldError naming the first field at fault.
func (s *Spec) Validate() error {
	if s.Preset != "" {
		if _, ok := Lookup(s.Preset); !ok {
			return &FieldError{Field: "preset", Message: fmt.Sprintf("unknown preset %q", s.Preset)}
		}
	}
	for i := range fields {
		if err := fields[i].check(s); err != nil {
			return err
		}
	}
	if s.Rate > 0 && s.Interval > 0 {
		return &FieldError{Field: "rate", Message: "set either rate or interval, not both"}
	}
	return nil
}

// UntilStopped says the run is bound by neither requests nor duration: it
// goes on until stopped, at most MaxDuration.
func (s *Spec) UntilStopped() bool { return s.Requests == 0 && s.Duration == 0 }

// WorkloadLimit is the workload's time bound: Duration, or MaxDuration.
func (s *Spec) WorkloadLimit() time.Duration {
	if s.Duration > 0 {
		return s.Duration.D()
	}
	return MaxDuration
}

// FieldError is an invalid spec field. The server answers it as
// {"error":{"code":"invalid_spec","message":...,"field":Field}}.
type FieldError struct {
	Field   string // JSON / -set key, e.g. "server.idleTimeout"
	Message string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return "invalid spec: " + e.Message
	}
	return "invalid spec: " + e.Field + ": " + e.Message
}

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("1.5s").
type Duration time.Duration

// D is the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String is the Go duration string.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, time.Duration(d).String()), nil
}

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string like \"1s\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}
