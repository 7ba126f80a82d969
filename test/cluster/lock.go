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
	var f *os.File
	err := Poll(ctx, 2*time.Minute, func() (bool, error) {
		var err error
		f, err = tryLock()
		return f != nil, err
	})
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", LockFile, err)
	}
	fmt.Fprintf(f, "%d\n", os.Getpid())
	return f, nil
}

// tryLock opens the lock file and takes its lock without waiting. A lock
// taken on a file that is no longer the one at LockFile (its holder removed
// it on release while we waited) is worthless: a newcomer has locked the new
// file. Then the lock is dropped and nil returned, to try again.
func tryLock() (*os.File, error) {
	f, err := os.OpenFile(LockFile, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", LockFile, err)
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err == nil && !sameFile(f, LockFile) {
		err = errors.New(LockFile + " was replaced while waiting for it")
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			err = errors.New("another swarmlink cluster run holds " + LockFile)
		}
		return nil, err
	}
	return f, nil
}

// sameFile reports whether the open file f is the file at path.
func sameFile(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
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
