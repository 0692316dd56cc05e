#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the initramfs and boot the QEMU guest.
#
#   guest.sh initramfs            build $BUILD_DIR/initrd.cpio.gz
#   guest.sh boot MODE [SECONDS]  boot with rflmode=MODE (test, run, shell);
#                                 the console goes to stdout and to
#                                 $BUILD_DIR/guest/console.log, the second
#                                 serial port to $BUILD_DIR/guest/ttyS1.log
#
# The machine: q35 with cxl=on, a pxb-cxl host bridge, two CXL root ports
# and a cxl-type3 memory device on each (each exposes a DOE mailbox). TCG
# only: KVM does not work on these machines.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
GUEST=$BUILD_DIR/guest

die() { printf 'guest: error: %s\n' "$*" >&2; exit 1; }

initramfs() {
	local root=$BUILD_DIR/initramfs
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,usr/bin,usr/sbin,usr/share/rfl/suites,root}
	cp /bin/busybox "$root/bin/busybox"
	file -L "$root/bin/busybox" 2>/dev/null | grep -q 'statically' ||
		ldd /bin/busybox 2>&1 | grep -q 'not a dynamic' ||
		die "/bin/busybox is not static (install busybox-static)"
	install -m 0755 "$REPO/dev/guest/init" "$root/init"
	install -m 0755 "$REPO/dev/guest/uevent-helper" "$root/sbin/uevent-helper"
	install -m 0644 "$REPO/dev/guest/run-tests.sh" "$REPO/dev/guest/demo.sh" \
		"$REPO/dev/guest/kunit-modules" "$REPO/dev/guest/doctests" "$root/usr/share/rfl/"
	# End-to-end suites, numbered in the order of the list.
	local i=10 s
	while read -r s; do
		case "$s" in ''|'#'*) continue ;; esac
		install -m 0644 "$REPO/$s" "$root/usr/share/rfl/suites/$i-$(basename "$s")"
		i=$((i + 1))
	done <"$REPO/dev/guest/suites"
	cp -a "$BUILD_DIR/modules/lib" "$root/lib"
	[ -d "$BUILD_DIR/bin" ] && cp -a "$BUILD_DIR/bin/." "$root/usr/bin/"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
		>"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	(cd "$root" && find . -print0 | cpio --null -o -H newc --owner=0:0 --quiet) |
		gzip -1 >"$BUILD_DIR/initrd.cpio.gz"
}

boot() {
	local mode=$1 secs=${2:-600} st
	[ -f "$BUILD_DIR/bzImage" ] || die "no $BUILD_DIR/bzImage: run 'make kernel'"
	[ -f "$BUILD_DIR/initrd.cpio.gz" ] || die "no initramfs: run 'make initramfs'"
	mkdir -p "$GUEST"
	rm -f "$GUEST/console.log" "$GUEST/ttyS1.log"
	# -serial #1 is the console, #2 the test results channel.
	timeout --foreground -k 5 "$secs" qemu-system-x86_64 \
		-accel tcg -cpu max -smp 2 -m 2G,maxmem=8G,slots=4 \
		-nographic -no-reboot -machine q35,cxl=on \
		-kernel "$BUILD_DIR/bzImage" -initrd "$BUILD_DIR/initrd.cpio.gz" \
		-append "console=ttyS0 panic=-1 rflmode=$mode ${GUEST_APPEND:-}" \
		-serial mon:stdio -serial "file:$GUEST/ttyS1.log" \
		-object memory-backend-ram,id=vmem0,share=on,size=256M \
		-object memory-backend-ram,id=vmem1,share=on,size=256M \
		-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 \
		-device cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2 \
		-device cxl-rp,port=1,bus=cxl.1,id=root_port14,chassis=0,slot=3 \
		-device cxl-type3,bus=root_port13,volatile-memdev=vmem0,id=cxl-vmem0 \
		-device cxl-type3,bus=root_port14,volatile-memdev=vmem1,id=cxl-vmem1 \
		-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G \
		</dev/null 2>&1 | tee "$GUEST/console.log"
	st=${PIPESTATUS[0]}
	[ "$st" -ne 124 ] || die "guest did not finish in ${secs}s"
	return "$st"
}

case "${1:-}" in
initramfs) initramfs ;;
boot) shift; boot "$@" ;;
*) die "usage: guest.sh initramfs | boot MODE [SECONDS]" ;;
esac
