package main

import (
	"os"
	"slices"
	"strconv"
	"strings"
)

// mountInfo is what the driver needs of one line of /proc/self/mountinfo (proc(5)).
type mountInfo struct {
	dev   string // major:minor of the file system; its bind mounts show the same
	point string
	ro    bool // the mount's own read-only flag (a bind mount may be read-only on a writable file system)
}

// mounts lists the mounts of the driver's mount namespace, which is the kubelet's.
func mounts() ([]mountInfo, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var ms []mountInfo
	for line := range strings.Lines(string(data)) {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		ms = append(ms, mountInfo{
			dev:   f[2],
			point: unescapeOctal(f[4]),
			ro:    slices.Contains(strings.Split(f[5], ","), "ro"),
		})
	}
	return ms, nil
}

// findMount returns the mount at path, the topmost if several are stacked there (mountinfo
// lists them in the order they were made).
func findMount(ms []mountInfo, path string) (mountInfo, bool) {
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].point == path {
			return ms[i], true
		}
	}
	return mountInfo{}, false
}

// unescapeOctal undoes the kernel's escapes of space, tab, newline and backslash in mountinfo
// paths (\040, \011, \012, \134).
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if c, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(c))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
