package probes

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Classify maps an error from a network operation to a Cause and a short
// human message of the form "op: reason", e.g.
// "connect 127.0.0.1:1: connection refused". op names what was attempted and
// may be empty. Every prober reports its failures through Classify so that the
// same error gets the same cause whatever the kind.
//
// The order matters: a *net.DNSError is checked first (a resolver that refuses
// is a dns problem, not a refused target), then socket errnos, then timeouts
// (a TLS handshake that times out is a timeout), then TLS, then everything
// else is CauseError. A nil err is CauseOK.
func Classify(op string, err error) (Cause, string) {
	if err == nil {
		return CauseOK, joinOp(op, "ok")
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		c, reason := classifyDNS(de)
		return c, joinOp(op, reason)
	}
	if c, errno, ok := classifyErrno(err); ok {
		return c, joinOp(op, errno.Error())
	}
	if isTimeout(err) {
		return CauseTimeout, joinOp(op, "timed out")
	}
	if isTLS(err) {
		return CauseTLS, joinOp(op, reason(err))
	}
	if errors.Is(err, context.Canceled) {
		return CauseError, joinOp(op, "canceled")
	}
	return CauseError, joinOp(op, reason(err))
}

// failure is the Result of an attempt that failed with err, not reachable.
func failure(op string, err error) Result {
	c, msg := Classify(op, err)
	return Result{Cause: c, Message: msg}
}

// reachableFailure is failure for a target that did answer before err.
func reachableFailure(op string, err error) Result {
	r := failure(op, err)
	r.Reachable = true
	return r
}

// quoteShort quotes b for a message, cut to a readable length.
func quoteShort(b []byte) string {
	const limit = 64
	if len(b) > limit {
		return strconv.Quote(string(b[:limit])) + "..."
	}
	return strconv.Quote(string(b))
}

func joinOp(op, reason string) string {
	if op == "" {
		return reason
	}
	return op + ": " + reason
}

// classifyDNS explains a resolver failure. Go's resolver keeps the
// underlying socket error only as text, hence the substring checks.
func classifyDNS(de *net.DNSError) (Cause, string) {
	lookup := "lookup " + de.Name
	switch {
	case de.IsTimeout:
		return CauseTimeout, lookup + ": resolver " + serverName(de) + " timed out"
	case de.IsNotFound:
		return CauseDNS, lookup + ": no such host"
	case strings.Contains(de.Err, "connection refused"):
		return CauseDNS, lookup + ": resolver " + serverName(de) + " refused"
	case de.Server != "":
		return CauseDNS, lookup + " on " + de.Server + ": " + de.Err
	default:
		return CauseDNS, lookup + ": " + de.Err
	}
}

func serverName(de *net.DNSError) string {
	if de.Server == "" {
		return "(system)"
	}
	return de.Server
}

// classifyErrno finds a socket errno with a cause of its own.
func classifyErrno(err error) (Cause, syscall.Errno, bool) {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return "", 0, false
	}
	switch errno {
	case syscall.ECONNREFUSED:
		return CauseRefused, errno, true
	case syscall.ECONNRESET, syscall.EPIPE, syscall.ECONNABORTED:
		return CauseReset, errno, true
	case syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.EHOSTDOWN, syscall.ENETDOWN:
		return CauseUnreachable, errno, true
	case syscall.EMSGSIZE:
		// The datagram exceeds the path MTU with DF set: small ones would pass.
		return CauseMTU, errno, true
	}
	return "", 0, false
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isTLS reports handshake and verification failures. Some crypto/tls errors
// are plain errors.New values; their "tls: " prefix is the only marker.
func isTLS(err error) bool {
	var (
		verify    *tls.CertificateVerificationError
		header    tls.RecordHeaderError
		alert     tls.AlertError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &verify), errors.As(err, &header), errors.As(err, &alert),
		errors.As(err, &authority), errors.As(err, &hostname), errors.As(err, &invalid):
		return true
	}
	return strings.HasPrefix(reason(err), "tls: ")
}

// reason strips the wrappers that only repeat the operation and address
// (*url.Error, *net.OpError, *os.SyscallError) and returns what is left.
func reason(err error) string {
	for {
		var inner error
		switch e := err.(type) {
		case *url.Error:
			inner = e.Err
		case *net.OpError:
			inner = e.Err
		case *os.SyscallError:
			inner = e.Err
		}
		if inner == nil {
			return err.Error()
		}
		err = inner
	}
}
