package main

import (
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestUnescapeOctal(t *testing.T) {
	for in, want := range map[string]string{
		"/var/lib/kubelet":     "/var/lib/kubelet",
		`/a\040b`:              "/a b",
		`/tab\011and\134slash`: "/tab\tand\\slash",
		`/short\04`:            `/short\04`,
		`/not\999octal`:        `/not\999octal`,
	} {
		if got := unescapeOctal(in); got != want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMountsReadsThisNamespace(t *testing.T) {
	ms, err := mounts()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := findMount(ms, "/"); !ok {
		t.Errorf("no mount at / among %d", len(ms))
	}
	stacked := []mountInfo{{dev: "7:1", point: "/x"}, {dev: "7:2", point: "/x"}}
	if m, _ := findMount(stacked, "/x"); m.dev != "7:2" {
		t.Errorf("findMount of stacked mounts gave %s, want the topmost, 7:2", m.dev)
	}
}

func TestSizeFor(t *testing.T) {
	for _, tc := range []struct {
		required, limit, want int64
		code                  codes.Code
	}{
		{0, 0, minSize, codes.OK},
		{1, 0, minSize, codes.OK},
		{100*mib + 1, 0, 101 * mib, codes.OK},
		{1 << 30, 1 << 30, 1 << 30, codes.OK},
		{0, 32 * mib, minSize, codes.OK},
		{-1, 0, 0, codes.InvalidArgument},
		{1 << 62, 0, 1 << 62, codes.OK},
		{1<<63 - 1, 0, 0, codes.OutOfRange},
	} {
		got, err := sizeFor(&csi.CapacityRange{RequiredBytes: tc.required, LimitBytes: tc.limit})
		if code := status.Code(err); code != tc.code || (err == nil && got != tc.want) {
			t.Errorf("sizeFor(%d, %d) = %d, %v; want %d, %s", tc.required, tc.limit, got, err, tc.want, tc.code)
		}
	}
}
