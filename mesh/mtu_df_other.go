//go:build !linux

package mesh

import (
	"errors"
	"syscall"
)

// setDontFragment is only implemented on Linux, where agents run.
func setDontFragment(string, syscall.RawConn) error {
	return errors.New("setting the DF bit is only supported on linux")
}
