# SPDX-License-Identifier: GPL-2.0
#
# Our structured fuzzer (fpga_fuzz, tools/testing/selftests/rfl/fpga_fuzz.c)
# against the simulated card and the files of our drivers, while the card's
# module is unloaded and loaded again and a DOE mailbox is unbound and bound
# again. Passes when the fuzzer made its calls, every errno it saw is one
# our documentation gives for that call, and everything works afterwards;
# the runner's console check fails the run on any splat, its time limit on a
# hang.
#
# Sourced by the in-guest runner: each test_* function is one test case.
# 100000 calls take minutes under TCG:
# rfl-timeout: 600

. "${RFL_DIR:-/usr/share/rfl}/cxl_devices.sh"

SIM=fpga_image_load_sim
DBG=/sys/kernel/debug/$SIM/fpga_image0

# The errnos the documentation gives (Documentation/fpga/fpga-image-load.rst,
# the uapi header, sysfs and debugfs): for ioctl() those of each of our
# commands (EBADF for a file not open for writing or a closed eventfd),
# EFAULT for a bad pointer, ENODEV once the card is gone; for any other
# command number of our magic ENOTTY alone ("ioctl-other"; a success counts
# as EPROTO); a number of another magic ("ioctl-foreign") may be one of the
# VFS's generic commands, answered before the driver (EFAULT, EINVAL, EPERM,
# EOPNOTSUPP); read() and write() of the device, which has neither, EINVAL
# (each call uses a descriptor of its own: never EBADF); a second open()
# EBUSY, or ENOENT/ENODEV/ENXIO while the card is away; a knob ENOENT while
# its module is away (EIO from debugfs for a file removed under the writer),
# EINVAL (or ERANGE) for a value it does not take, EACCES for a read-only
# file, EFAULT, ENODEV for a bind of no device, EBUSY for a bind of a bound
# one.
ALLOWED="ioctl:EINVAL ioctl:EFAULT ioctl:EBUSY ioctl:ENODEV
ioctl:EBADF ioctl:EFBIG ioctl:ENOMEM ioctl-other:ENOTTY
ioctl-foreign:ENOTTY ioctl-foreign:EFAULT ioctl-foreign:EINVAL
ioctl-foreign:EPERM ioctl-foreign:EOPNOTSUPP read:EINVAL read:EFAULT read:ENODEV
write:EINVAL write:EFAULT write:ENODEV open:EBUSY open:ENOENT open:ENODEV
open:ENXIO knob-write:ENOENT knob-write:ENODEV knob-write:EINVAL
knob-write:ERANGE knob-write:EACCES knob-write:EFAULT knob-write:EBUSY
knob-write:EPERM knob-write:EIO"

# The files the fuzzer writes to: the card's knobs, the class's attributes,
# the class module's parameters, the attributes of the DOE mailbox $mb and
# the DOE driver's bind and unbind.
fuzz_files() {
	for f in $DBG/* /sys/class/fpga_image_load/fpga_image0/* \
		/sys/module/fpga_image_load/parameters/* \
		$AUX_DEVS/$mb/* $DRV/bind $DRV/unbind; do
		# Not uevent: the driver core's, whose junk only fills the log.
		# Not ignore_cancel: a card that ignores cancel, with 4-byte
		# blocks of up to 1 ms each, loads 1 MiB for minutes that nothing
		# can cut short, and this test would only wait for it (the
		# lifetime suite tests such a card against unregister).
		case "${f##*/}" in uevent | ignore_cancel) continue ;; esac
		[ -f "$f" ] && echo "$f"
	done
}

test_100000_fuzzed_calls_while_modules_and_mailboxes_come_and_go() {
	builtin_config && { echo "# built in: no module to unload"; return 4; }
	for d in fpga_image_load_csim fpga_image_load_sim; do rmmod $d 2>/dev/null; done
	modprobe $SIM && modprobe cxl_doe || { echo "# modprobe failed"; return 1; }
	[ -c /dev/fpga_image0 ] || { echo "# no /dev/fpga_image0"; return 1; }
	# (The numbers of cxl_pci.doe.N grow each time cxl_pci probes again.)
	mb=$(mailboxes_of qemu | head -n1)
	[ -n "$mb" ] || { echo "# no DOE mailbox"; return 1; }
	[ -e $AUX_DEVS/$mb/driver ] || echo $mb >$DRV/bind ||
		{ echo "# cannot bind $mb"; return 1; }
	t0=$(date +%s)
	fpga_fuzz /dev/fpga_image0 100000 4 0x$(date +%s) -- $(fuzz_files) \
		>/tmp/fuzz.out 2>&1 &
	f=$!
	reloads=0 rebinds=0 t=0
	while kill -0 $f 2>/dev/null; do
		sleep 1
		t=$((t + 1))
		# Every 10 s (a reload takes seconds, during which the card's
		# calls wait): the card's module goes and comes back ... (a load
		# may hold it: rmmod is refused, EAGAIN) ...
		if [ $((t % 10)) -eq 0 ]; then
			rmmod $SIM 2>/dev/null && reloads=$((reloads + 1))
			modprobe $SIM || {
				echo "# modprobe $SIM failed at $t s"
				kill $f; wait $f; return 1
			}
		fi
		# ... and every second the mailbox goes to user space and back.
		echo $mb >$DRV/unbind && rebinds=$((rebinds + 1))
		echo $mb >$DRV/bind
	done
	wait $f
	r=$?
	echo "# fuzzer exit $r after $(($(date +%s) - t0)) s, $reloads reloads of $SIM," \
		"$rebinds rebinds of $mb:"
	sed 's/^/# /' /tmp/fuzz.out
	# Back to a working state: the last load canceled (a cancel is honoured
	# within a block or a poll interval), the card's knobs reset by a
	# reload, the mailbox bound.
	fpga-image-load cancel /dev/fpga_image0 >/dev/null 2>&1
	_i=0
	until rmmod $SIM 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -le 100 ] ||
			{ echo "# rmmod $SIM still refused 10 s after the fuzzer"; return 1; }
		sleep 0.1
	done
	modprobe $SIM || { echo "# modprobe $SIM failed after the fuzzer"; return 1; }
	[ -e $AUX_DEVS/$mb/driver ] || echo $mb >$DRV/bind ||
		{ echo "# cannot bind $mb after the fuzzer"; return 1; }
	[ $r -eq 0 ] || { echo "# the fuzzer exited $r"; return 1; }
	calls=$(head -n1 /tmp/fuzz.out | cut -d' ' -f1)
	[ "$calls" -ge 100000 ] || { echo "# only $calls calls"; return 1; }
	# A fuzzer whose calls all fail proves nothing of what succeeds: about a
	# fifth of them do (STATUS, CANCEL, poll, valid writes).
	ok=$(head -n1 /tmp/fuzz.out | cut -d' ' -f3)
	[ "$ok" -ge $((calls / 20)) ] || { echo "# only $ok of $calls calls succeeded"; return 1; }
	[ $reloads -gt 0 ] && [ $rebinds -gt 0 ] ||
		{ echo "# $reloads reloads and $rebinds rebinds: both should be > 0"; return 1; }
	bad=$(tail -n +2 /tmp/fuzz.out | while read -r n call e; do
		case " $(echo $ALLOWED) " in *" $call:$e "*) ;; *) echo "$call:$e" ;; esac
	done)
	[ -z "$bad" ] || { echo "# undocumented errnos: $bad"; return 1; }
	# And the card loads an image, every byte.
	head -c 65536 /dev/urandom >/tmp/img
	fpga-image-load write /dev/fpga_image0 /tmp/img >/dev/null ||
		{ echo "# the load after the fuzzer failed"; return 1; }
	cmp /tmp/img $DBG/image || { echo "# the card got other bytes"; return 1; }
	p=$(cat $AUX_DEVS/$mb/protocols | tr '\n' ' ')
	[ "$p" = "0001:00 1e98:02 " ] ||
		{ echo "# $mb/protocols after the fuzzer: '$p'"; return 1; }
}
