package scale

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// stateProcs lists the processes whose command line names StateDir: the
// agents this harness started (their binary and config live there).
func stateProcs() []int {
	var pids []int
	self := os.Getpid()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil || pid == self {
			continue
		}
		cmd, err := os.ReadFile(d + "/cmdline")
		if err == nil && bytes.Contains(cmd, []byte(StateDir+"/")) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killStateProcs stops every stateProcs process by its id: SIGTERM, then
// SIGKILL to whatever is left after 5 s.
func killStateProcs() {
	pids := stateProcs()
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGTERM)
	}
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end) && len(stateProcs()) > 0; {
		time.Sleep(100 * time.Millisecond)
	}
	for _, p := range stateProcs() {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

// ProcStat is one process's CPU time and resident memory.
type ProcStat struct {
	CPUSeconds float64 // user + system
	RSSBytes   int64
}

// clockTicks is USER_HZ, 100 on every Linux this runs on.
const clockTicks = 100

// readProcStat reads utime and stime from /proc/<pid>/stat and VmRSS from
// /proc/<pid>/status.
func readProcStat(pid int) (ProcStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcStat{}, err
	}
	// Fields after the command name, which may hold spaces: state is
	// field 3, utime 14, stime 15.
	rest := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(rest) < 13 {
		return ProcStat{}, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	ut, _ := strconv.ParseFloat(rest[11], 64)
	st, _ := strconv.ParseFloat(rest[12], 64)
	s := ProcStat{CPUSeconds: (ut + st) / clockTicks}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcStat{}, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			s.RSSBytes = kb * 1024
		}
	}
	return s, nil
}
