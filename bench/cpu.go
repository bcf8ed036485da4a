package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuSample is CPU time, machine-wide from /proc/stat and of this process from getrusage, in
// seconds; a difference of two readings says where the CPU went between them.
type cpuSample struct {
	total, idle, self float64
	// pg is the CPU of the PostgreSQL backends serving the bench's databases, when known.
	pg float64
}

// clockTicks is USER_HZ, the unit of /proc/stat: 100 on Linux.
const clockTicks = 100

func readCPU() cpuSample {
	var s cpuSample
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line)
		for i, v := range f[1:] {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil || i >= 8 { // user nice system idle iowait irq softirq steal
				continue
			}
			s.total += n / clockTicks
			if i == 3 || i == 4 {
				s.idle += n / clockTicks
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	return s
}

func (s cpuSample) since(old cpuSample) cpuSample {
	return cpuSample{total: s.total - old.total, idle: s.idle - old.idle, self: s.self - old.self}
}

func (s cpuSample) add(o cpuSample) cpuSample {
	return cpuSample{total: s.total + o.total, idle: s.idle + o.idle, self: s.self + o.self, pg: s.pg + o.pg}
}

// others is the CPU neither this process nor the bench's PostgreSQL backends used.
func (s cpuSample) others() float64 { return s.total - s.idle - s.self - s.pg }

// processCPU reads a process's user and system CPU time from /proc/PID/stat, in seconds.
func processCPU(pid int) (float64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name, in parentheses, may hold spaces: count fields after it. utime and
	// stime are fields 14 and 15 of the line, the 12th and 13th after the name.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return (u + st) / clockTicks, true
}

// share prints x as a share of all the machine's CPU time in the sample.
func (s cpuSample) share(x float64) string {
	if s.total <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f%%", 100*x/s.total)
}
