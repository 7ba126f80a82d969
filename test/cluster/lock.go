package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// acquireLock takes the machine-wide cluster lock, waiting up to two
// minutes for another run to finish: two clusters would share every name.
func acquireLock(ctx context.Context) (*os.File, error) {
	f, err := os.OpenFile(LockFile, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", LockFile, err)
	}
	err = Poll(ctx, 2*time.Minute, func() (bool, error) {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, errors.New("another swarmlink cluster run holds " + LockFile)
		}
		return err == nil, err
	})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", LockFile, err)
	}
	fmt.Fprintf(f, "%d\n", os.Getpid())
	return f, nil
}

// releaseLock removes the lock file and drops the lock. A nil f is a no-op.
func releaseLock(f *os.File) {
	if f == nil {
		return
	}
	os.Remove(LockFile)
	f.Close()
}

// releaseLockOnly drops the lock and leaves the file.
func releaseLockOnly(f *os.File) { f.Close() }

// WithLock runs fn while holding the machine-wide cluster lock, for tools
// that act on a cluster they did not bring up (demo-down).
func WithLock(ctx context.Context, fn func() error) error {
	f, err := acquireLock(ctx)
	if err != nil {
		return err
	}
	defer releaseLock(f)
	return fn()
}
