package main

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// running tells a live process from one that exited, reaped or not (the
// demo's Alertmanager outlives the democluster run that started it).
func TestRunningSeesExitAndZombies(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	if !running(pid) {
		t.Fatalf("pid %d: a sleeping process is not running", pid)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !waitGone(pid, 5*time.Second) { // not reaped yet: a zombie
		t.Fatalf("pid %d: still running after SIGTERM", pid)
	}
	_ = cmd.Wait()
	if running(pid) {
		t.Fatalf("pid %d: running after it was reaped", pid)
	}
}
