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
#                                 (GUEST_LOG_DIR: another directory, for
#                                 guests that run at once)
#
# With "builtin" after either command, the same for the second
# configuration (dev/kbuild.sh builtin: our drivers built in), booted with
# rflconf=builtin: its initramfs, $BUILD_DIR/builtin/initrd.cpio.gz, has no
# /lib/modules (the debug kernel's modules have the same release string but
# are not this kernel's) and only the suites of dev/guest/suites-builtin; its
# kernel is $BUILD_DIR/builtin/bzImage and its logs go to
# $BUILD_DIR/guest-builtin/. E.g. guest.sh boot test 300 builtin.
#
# The machine: q35 with cxl=on, a pxb-cxl host bridge, two CXL root ports
# and a cxl-type3 memory device on each (each exposes a DOE mailbox). TCG
# only: KVM does not work on these machines.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}

die() { printf 'guest: error: %s\n' "$*" >&2; exit 1; }

# config <name>: the paths of a configuration (debug, the default, or builtin).
config() {
	case "$1" in
	debug)
		CONF=debug
		KERNEL=$BUILD_DIR/bzImage
		KCONFIG=$BUILD_DIR/obj/.config
		INITRD=$BUILD_DIR/initrd.cpio.gz
		ROOT=$BUILD_DIR/initramfs
		GUEST=${GUEST_LOG_DIR:-$BUILD_DIR/guest}
		SUITES=$REPO/dev/guest/suites
		KERNEL_HOW="make kernel"
		INITRD_HOW="make initramfs" ;;
	builtin)
		CONF=builtin
		KERNEL=$BUILD_DIR/builtin/bzImage
		KCONFIG=$BUILD_DIR/obj-builtin/.config
		INITRD=$BUILD_DIR/builtin/initrd.cpio.gz
		ROOT=$BUILD_DIR/builtin/initramfs
		GUEST=${GUEST_LOG_DIR:-$BUILD_DIR/guest-builtin}
		SUITES=$REPO/dev/guest/suites-builtin
		KERNEL_HOW="make kernel-builtin"
		INITRD_HOW="make initramfs-builtin" ;;
	*) die "unknown configuration '$1' (debug or builtin)" ;;
	esac
}

# copy_program ROOT PROGRAM...: each PROGRAM of the host's PATH into ROOT,
# with the dynamic loader and every shared library ldd lists for it.
copy_program() {
	local root=$1 p f
	shift
	for p in "$@"; do
		p=$(command -v "$p") || die "no $p on the host: run 'make setup'"
		install -D -m 0755 "$p" "$root$p"
		for f in $(ldd "$p" | grep -o '/[^ ]*'); do
			[ -e "$root$f" ] || install -D -m 0755 "$(readlink -f "$f")" "$root$f"
		done
	done
}

initramfs() {
	config "${1:-debug}"
	local root=$ROOT
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,usr/bin,usr/sbin,usr/share/rfl/suites,root}
	cp /bin/busybox "$root/bin/busybox"
	file -L "$root/bin/busybox" 2>/dev/null | grep -q 'statically' ||
		ldd /bin/busybox 2>&1 | grep -q 'not a dynamic' ||
		die "/bin/busybox is not static (install busybox-static)"
	install -m 0755 "$REPO/dev/guest/init" "$root/init"
	install -m 0755 "$REPO/dev/guest/uevent-helper" "$root/sbin/uevent-helper"
	install -m 0644 "$REPO/dev/guest/run-tests.sh" "$REPO/dev/guest/demo.sh" \
		"$REPO/dev/guest/bench.sh" \
		"$REPO/dev/guest/kunit-modules" "$REPO/dev/guest/doctests" \
		"$REPO/tools/testing/selftests/rfl/cxl_devices.sh" "$root/usr/share/rfl/"
	# End-to-end suites, numbered in the order of the list, and the shard
	# of each (the second column, 1 if none; see dev/run-tests.py).
	local i=10 s shard
	: >"$root/usr/share/rfl/shards"
	while read -r s shard; do
		case "$s" in ''|'#'*) continue ;; esac
		install -m 0644 "$REPO/$s" "$root/usr/share/rfl/suites/$i-$(basename "$s")"
		echo "$(basename "$s" .sh) ${shard:-1}" >>"$root/usr/share/rfl/shards"
		i=$((i + 1))
	done <"$SUITES"
	# The kernel's own options, so that the runner knows which KUnit
	# suites this kernel must have and which it must not (kunit-modules).
	grep -E '^(# )?CONFIG_(KUNIT|FPGA|CXL)' "$KCONFIG" >"$root/usr/share/rfl/kconfig" ||
		die "no $KCONFIG: run '$KERNEL_HOW'"
	# The CDAT tables of the extra CXL devices (see boot), which the tests
	# compare with what the guest reads.
	python3 "$REPO/dev/cdat.py" "$root/usr/share/rfl/cdat" || die "dev/cdat.py failed"
	# The built-in kernel loads no module (and these are not its modules).
	[ "$CONF" = builtin ] || cp -a "$BUILD_DIR/modules/lib" "$root/lib"
	[ -d "$BUILD_DIR/bin" ] && cp -a "$BUILD_DIR/bin/." "$root/usr/bin/"
	# Debian programs none of us wrote, dynamically linked: the host's own
	# binaries (dev/setup.sh installs their packages) with the shared
	# libraries they name, at the same paths, so the guest runs them as
	# the host does. (See "Programs nobody here wrote" in the README for
	# why not virtme-ng.)
	copy_program "$root" lspci setpci trinity cxl
	# perf, for make bench-profile on the benchmark's kernel.
	[ "$CONF" = builtin ] && copy_program "$root" perf
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
		>"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	(cd "$root" && find . -print0 | cpio --null -o -H newc --owner=0:0 --quiet) |
		gzip -1 >"$INITRD.tmp"
	mv "$INITRD.tmp" "$INITRD"
}

# boot MODE [SECONDS] [CONFIG]
boot() {
	local mode=${1:?usage: guest.sh boot MODE [SECONDS] [builtin]} secs=600 conf=debug a st
	shift
	for a in "$@"; do
		case "$a" in
		*[!0-9]*|'') conf=$a ;;
		*) secs=$a ;;
		esac
	done
	config "$conf"
	[ -f "$KERNEL" ] || die "no $KERNEL: run '$KERNEL_HOW'"
	[ -f "$INITRD" ] || die "no $INITRD: run '$INITRD_HOW'"
	mkdir -p "$GUEST"
	rm -f "$GUEST/console.log" "$GUEST/ttyS1.log"
	# Besides QEMU's own two cxl-type3 devices, one per table of dev/cdat.py:
	# a device serves its cdat=<file> as it is (a multi-page table, and
	# tables that lie about their length or checksum), and has the serial
	# number that names it to the tests.
	local cdat=$ROOT/usr/share/rfl/cdat sn kind i=2 extra=()
	[ -f "$cdat/devices" ] || die "no $cdat/devices: run '$INITRD_HOW'"
	while read -r sn kind; do
		extra+=(-object "memory-backend-ram,id=vmem$i,share=on,size=256M"
			-device "cxl-rp,port=$i,bus=cxl.1,id=root_port$((13 + i)),chassis=0,slot=$((2 + i))"
			-device "cxl-type3,bus=root_port$((13 + i)),volatile-memdev=vmem$i,id=cxl-vmem$i,sn=$sn,cdat=$cdat/$kind.bin")
		i=$((i + 1))
	done <"$cdat/devices"
	# The test job keeps the console to warnings and worse: the debug kernel's
	# informational lines (a kobject_release line for every kobject under
	# DEBUG_KOBJECT_RELEASE) cost serial time under TCG, and every report the
	# health check looks for is a warning or worse. dmesg keeps everything.
	local level=
	[ "$mode" = test ] && level="loglevel=5"
	# no5lvl: 4-level paging although -cpu max offers LA57. identify_cpu()
	# clears boot_cpu_data's capabilities before it reads them again, and
	# an interrupt in that window (TCG delivers them early) takes a lock in
	# the 5-level direct map (ff11...) while pgtable_l5_enabled() reads
	# false: KASAN reports a wild-memory-access in handle_edge_irq at 0.003 s
	# of boot, in one boot of dozens. Not our code, but it fails a run.
	# -serial #1 is the console, #2 the test results channel. QEMU's gdb
	# stub listens on $GUEST/gdb.sock (a socket's path has at most 107
	# bytes), for dev/run-tests.py to tell where the CPUs of a guest that
	# hangs are.
	local gdb=()
	[ ${#GUEST} -gt 90 ] || gdb=(-gdb "unix:$GUEST/gdb.sock,server=on,wait=off")
	rm -f "$GUEST/gdb.sock"
	timeout --foreground -k 5 "$secs" qemu-system-x86_64 \
		-accel tcg -cpu max -smp 2 -m "${GUEST_MEM:-2G}",maxmem=8G,slots=4 \
		-nographic -no-reboot -machine q35,cxl=on \
		-kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 no5lvl $level rflmode=$mode rflconf=$CONF ${GUEST_APPEND:-}" \
		-serial mon:stdio -serial "file:$GUEST/ttyS1.log" \
		-object memory-backend-ram,id=vmem0,share=on,size=256M \
		-object memory-backend-ram,id=vmem1,share=on,size=256M \
		-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 \
		-device cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2 \
		-device cxl-rp,port=1,bus=cxl.1,id=root_port14,chassis=0,slot=3 \
		-device cxl-type3,bus=root_port13,volatile-memdev=vmem0,id=cxl-vmem0 \
		-device cxl-type3,bus=root_port14,volatile-memdev=vmem1,id=cxl-vmem1 \
		"${extra[@]}" "${gdb[@]}" \
		-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G \
		</dev/null 2>&1 | tee "$GUEST/console.log"
	st=${PIPESTATUS[0]}
	[ "$st" -ne 124 ] || die "guest did not finish in ${secs}s"
	return "$st"
}

case "${1:-}" in
initramfs) shift; initramfs "$@" ;;
boot) shift; boot "$@" ;;
*) die "usage: guest.sh initramfs [builtin] | boot MODE [SECONDS] [builtin]" ;;
esac
