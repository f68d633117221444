package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// ext4Size reads a file system's size and block size from its superblock, 1024 bytes into the
// image (struct ext4_super_block, the kernel's fs/ext4/ext4.h).
func ext4Size(image string) (size, blockSize int64, err error) {
	f, err := os.Open(image)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sb := make([]byte, 1024)
	if _, err := f.ReadAt(sb, 1024); err != nil {
		return 0, 0, fmt.Errorf("reading the superblock of %s: %w", image, err)
	}
	le := binary.LittleEndian
	logBlock := le.Uint32(sb[0x18:]) // s_log_block_size: the block size is 1024 << it
	if le.Uint16(sb[0x38:]) != 0xEF53 || logBlock > 6 {
		return 0, 0, fmt.Errorf("%s holds no ext4 file system", image)
	}
	blocks := uint64(le.Uint32(sb[0x04:])) // s_blocks_count_lo
	if le.Uint32(sb[0x60:])&0x80 != 0 {    // s_feature_incompat has INCOMPAT_64BIT
		blocks |= uint64(le.Uint32(sb[0x150:])) << 32 // s_blocks_count_hi
	}
	blockSize = int64(1024) << logBlock
	return int64(blocks) * blockSize, blockSize, nil
}

// growOffline grows the file system of an image that is not mounted to the image's size, when
// the image is larger by a block or more; it reports whether it grew. This is the only growth
// this machine kind allows: online growth (EXT4_IOC_RESIZE_FS) needs CAP_SYS_RESOURCE, which
// even root lacks here. resize2fs insists on a forced check first.
func growOffline(image string) (bool, error) {
	fsSize, blockSize, err := ext4Size(image)
	if err != nil {
		return false, err
	}
	fi, err := os.Stat(image)
	if err != nil {
		return false, err
	}
	if fi.Size()/blockSize <= fsSize/blockSize {
		return false, nil
	}
	// e2fsck exits 1 (or 2) when it corrected something: the file system is sound then.
	if err := run("e2fsck", "-f", "-y", image); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() > 2 {
			return false, err
		}
	}
	if err := run("resize2fs", image); err != nil {
		return false, err
	}
	return true, nil
}

// run runs a tool; its failure carries the tool's own words.
func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
