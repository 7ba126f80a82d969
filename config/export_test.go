package config

import (
	"time"

	"github.com/fsnotify/fsnotify"
)

// SetNotifier replaces how the watcher gets inotify, and PollInterval, for
// one spec; the returned func puts both back.
func SetNotifier(f func() (*fsnotify.Watcher, error), poll time.Duration) func() {
	oldF, oldPoll := newNotifier, PollInterval
	newNotifier, PollInterval = f, poll
	return func() { newNotifier, PollInterval = oldF, oldPoll }
}
