# SPDX-License-Identifier: GPL-2.0
#
# The FPGA Image Load class end to end: real processes, the real ioctls, on
# the simulated cards of fpga_image_load_sim.
#
# Sourced by the in-guest runner: each test_* function is one test case, run
# in a subshell; it passes when it returns 0.
#
# The C checks of the user ABI run twice, as a 64-bit and as a 32-bit program
# (through the kernel's compat ioctl path).

DEV=/dev/fpga_image0
CLS=/sys/class/fpga_image_load/fpga_image0
SIM=/sys/kernel/debug/fpga_image_load_sim/fpga_image0
ERRNO=fpga_image_load_errno
ERRNO32=fpga_image_load_errno32
TOOL=fpga-image-load

# reload [class module parameters]: both modules reloaded, one idle card
# that has never loaded anything. Costs seconds on the debug kernel, whose
# DEBUG_KOBJECT_RELEASE delays every module's release.
reload() {
	rmmod fpga_image_load_sim 2>/dev/null
	rmmod fpga_image_load 2>/dev/null
	modprobe fpga_image_load "$@" && modprobe fpga_image_load_sim || return 1
	[ -c $DEV ] && [ -d $SIM ]
}

# fresh [class module parameters]: one idle card with the default knobs and
# class parameters, no load running and the device not open. Reloads only
# when parameters are asked for or the modules are not in that state.
fresh() {
	if [ $# -eq 0 ] && [ -c $DEV ] && [ -d $SIM ] &&
	    [ "$(cat /sys/module/fpga_image_load/parameters/max_image_size 2>/dev/null)" \
		    = 268435456 ] &&
	    [ "$(cat /sys/module/fpga_image_load_sim/refcnt 2>/dev/null)" = 0 ]; then
		$TOOL cancel $DEV >/dev/null 2>&1
		if wait_for $CLS/status idle 50 >/dev/null; then
			knob block_size 0x4000 && knob block_delay_us 0 && knob program_ms 0 &&
				knob ignore_cancel 0 && knob inject_error none && return 0
		fi
	fi
	# Only the card's module is gone (a test removed it): load it alone,
	# as reloading the class too costs seconds under the debug kernel.
	if [ $# -eq 0 ] && [ ! -d $SIM ] &&
	    [ "$(cat /sys/module/fpga_image_load/parameters/max_image_size 2>/dev/null)" \
		    = 268435456 ] &&
	    modprobe fpga_image_load_sim && [ -c $DEV ] && [ -d $SIM ]; then
		return 0
	fi
	reload "$@"
}

knob() { echo "$2" >$SIM/$1; }
sysfs() { cat $CLS/$1; }

# wait_for FILE VALUE [TENTHS]: until the file reads VALUE (default 10 s).
wait_for() {
	i=0
	while [ "$(cat "$1")" != "$2" ]; do
		i=$((i + 1))
		[ $i -gt "${3:-100}" ] && { echo "# $1 is '$(cat "$1")', not '$2'"; return 1; }
		sleep 0.1
	done
}

# image FILE SIZE: random bytes.
image() { head -c "$2" /dev/urandom >"$1"; }

# both ARG...: the C check with the 64-bit program, then with the 32-bit one.
# A 32-bit program that cannot run at all fails, as any failed check does.
both() {
	$ERRNO "$@" || { echo "# 64-bit: $ERRNO $* failed"; return 1; }
	$ERRNO32 "$@" || { echo "# 32-bit: $ERRNO32 $* failed (exit $?)"; return 1; }
}

# elf_class PROGRAM: 1 for a 32-bit ELF file, 2 for a 64-bit one.
elf_class() {
	p=$(command -v "$1") || return 1
	od -An -tu1 -j4 -N1 "$p" | tr -d ' '
}

test_card_appears_idle() {
	reload || return 1
	[ "$(sysfs status)" = idle ] && [ -z "$(sysfs error)" ] &&
		[ "$(sysfs remaining_size)" = 0 ] &&
		[ "$(basename "$(readlink $CLS/device)")" = fpga_image_load_sim.0 ]
}

test_errno_programs_are_64_and_32_bit() {
	[ "$(elf_class $ERRNO)" = 2 ] || { echo "# $ERRNO is not a 64-bit ELF program"; return 1; }
	[ "$(elf_class $ERRNO32)" = 1 ] ||
		{ echo "# $ERRNO32 is not a 32-bit ELF program"; return 1; }
	# It runs (the kernel has IA32 emulation): without arguments, usage and exit 2.
	$ERRNO32 >/tmp/out 2>&1
	r=$?
	[ $r -eq 2 ] && grep -q usage /tmp/out ||
		{ echo "# $ERRNO32 exited $r: $(cat /tmp/out)"; return 1; }
}

test_errno_write_flags_einval() { fresh && both check $DEV write-flags; }
test_errno_write_size_zero_einval() { fresh && both check $DEV write-size-zero; }
test_errno_write_size_unaligned_einval() { fresh && both check $DEV write-size-unaligned; }
test_errno_write_efault() { fresh && both check $DEV write-efault; }
test_errno_unknown_ioctl_enotty() { fresh && both check $DEV enotty; }
test_errno_cancel_idle_enodev() { fresh && both check $DEV cancel-idle; }

test_errno_write_efbig() {
	fresh max_image_size=65536 || return 1
	both check $DEV write-efbig 65540 || return 1
	# The limit itself is accepted.
	image /tmp/img 65536 && $TOOL write $DEV /tmp/img >/dev/null
}

test_errno_write_busy() {
	fresh && knob program_ms 3000 && both check $DEV write-busy
}

test_errno_second_open_ebusy() {
	fresh || return 1
	$ERRNO hold $DEV 3 &
	sleep 1
	both check $DEV open-busy
	r=$?
	wait
	return $r
}

test_status_writes_every_byte() {
	fresh && image /tmp/img 4096 && $TOOL write $DEV /tmp/img >/dev/null &&
		both check $DEV status-every-byte
}

test_poll_and_eventfd_report_the_end() { fresh && both check $DEV eventfd; }

test_enodev_after_unregister() {
	for p in $ERRNO $ERRNO32; do
		fresh || return 1
		rm -f /tmp/go && mkfifo /tmp/go && : >/tmp/gone.out
		$p gone $DEV </tmp/go >/tmp/gone.out &
		pid=$!
		exec 3>/tmp/go
		wait_for /tmp/gone.out ready 50 || return 1
		rmmod fpga_image_load_sim || return 1
		echo go >&3
		exec 3>&-
		wait $pid || { echo "# $p gone failed"; return 1; }
	done
}

# FPGA_IMAGE_LOAD_WRITE_EVTFD, the layout of Intel's OPAE tools.

test_opae_write_evtfd_signals_the_end() { fresh && both check $DEV write-evtfd; }

test_write_evtfd_minus_one_means_none() { fresh && both check $DEV write-evtfd-none; }

test_write_evtfd_signals_a_cancel() {
	fresh && knob program_ms 60000 && both check $DEV write-evtfd-cancel
}

test_write_evtfd_signals_a_failure() {
	fresh && knob inject_error writing:hw-error && both check $DEV write-evtfd-failed
}

test_write_evtfd_and_set_eventfd_both_signalled() {
	fresh && both check $DEV write-evtfd-both
}

test_write_evtfd_signalled_after_close() {
	# The load programs for 1 s after the file that started it is closed.
	fresh && knob program_ms 1000 && both check $DEV write-evtfd-close
}

test_write_evtfd_bad_fd_ebadf() { fresh && both check $DEV write-evtfd-ebadf; }
test_write_evtfd_not_eventfd_einval() { fresh && both check $DEV write-evtfd-einval; }
test_write_evtfd_pad_einval() { fresh && both check $DEV write-evtfd-pad; }

# load_through_each_program CASE: a new image for each of the 64-bit and
# 32-bit programs, loaded by CASE; the card must hold the bytes each one sent.
load_through_each_program() {
	fresh || return 1
	for p in $ERRNO $ERRNO32; do
		image /tmp/img 65536 && $p check $DEV "$1" /tmp/img || return 1
		cmp /tmp/img $SIM/image || { echo "# $p: the card holds other bytes"; return 1; }
	done
}

test_opae_raw_ioctl_number() { load_through_each_program opae-raw; }

test_readers_do_not_keep_a_writer_out() { fresh && both check $DEV readers-share; }

# 24 bytes and 0x4018b900 from the 64-bit program, 20 bytes with buf at offset
# 12 and 0x4014b900 from the 32-bit one: both load, byte-exact.
test_opae_native_layout_from_64_and_32_bit() { load_through_each_program opae-native; }

test_readonly_open_write_cancel_ebadf_status_ok() {
	# A load started on a read-write file programs for 1 s while a read-only
	# file is tried on it.
	fresh && knob program_ms 1000 && both check $DEV readonly
}

test_eventfd_dropped_when_its_file_closes() {
	# Loads program for 0.5 s: one outlives the file that started it.
	fresh && knob program_ms 500 && both check $DEV eventfd-dropped
}

test_eventfd_of_a_later_opener_signalled() {
	fresh && knob program_ms 500 && both check $DEV eventfd-later-opener
}

# readback SIZE: byte-exact for every block size.
readback() {
	fresh && image /tmp/img "$1" || return 1
	for bs in 4 4096 0x4000 0x100000; do
		knob block_size $bs
		$TOOL write $DEV /tmp/img >/dev/null ||
			{ echo "# write failed, block $bs"; return 1; }
		cmp /tmp/img $SIM/image || { echo "# size $1 block $bs differs"; return 1; }
		echo "# size $1 block $bs: identical"
	done
}

test_readback_4_bytes() { readback 4; }
test_readback_4k_minus_4() { readback 4092; }
test_readback_1m_plus_4() { readback 1048580; }

test_readback_16m() {
	# One large image (a vmalloc'ed copy, thousands of blocks per size).
	fresh && image /tmp/img 16777216 || return 1
	for bs in 4096 0x4000 0x100000; do
		knob block_size $bs
		t0=$(date +%s)
		$TOOL write $DEV /tmp/img >/dev/null || return 1
		t1=$(date +%s)
		cmp /tmp/img $SIM/image || return 1
		echo "# 16 MiB, block $bs: identical, $((t1 - t0)) s"
	done
	rm -f /tmp/img
}

test_readback_4m_block_4() {
	# 1 Mi blocks of 4 bytes: the class's per-block cost at its worst.
	fresh && image /tmp/img 4194304 && knob block_size 4 || return 1
	t0=$(date +%s)
	$TOOL write $DEV /tmp/img >/dev/null || return 1
	t1=$(date +%s)
	echo "# 4 MiB in 4-byte blocks: $((t1 - t0)) s"
	cmp /tmp/img $SIM/image
	r=$?
	rm -f /tmp/img
	return $r
}

test_every_injected_error_is_reported() {
	fresh && image /tmp/img 65536 && knob block_size 4096 || return 1
	for stage in preparing writing programming; do
		# (Files are read with read and output matched with case: each
		# program started costs time under the debug kernel.)
		for err in hw-error timeout canceled busy invalid-size rw-error wearout; do
			knob inject_error $stage:$err
			read -r v <$SIM/inject_error
			[ "$v" = "$stage:$err" ] || return 1
			if out=$($TOOL write $DEV /tmp/img 2>&1); then
				echo "# $stage:$err: the load succeeded"; return 1
			fi
			case $out in
			*"$stage: $err"*) ;;
			*) echo "# tool said: $out"; return 1 ;;
			esac
			read -r v <$CLS/error
			[ "$v" = "$stage:$err" ] || { echo "# sysfs error '$v'"; return 1; }
			read -r v <$CLS/status
			[ "$v" = idle ] || return 1
			out=$($TOOL status --json $DEV)
			case $out in
			*"\"stage\":\"$stage\",\"code\":\"$err\""*) ;;
			*) echo "# status --json: $out"; return 1 ;;
			esac
		done
	done
	knob inject_error none
	$TOOL write $DEV /tmp/img >/dev/null && [ -z "$(sysfs error)" ] && cmp /tmp/img $SIM/image
}

test_cancel_during_writing() {
	fresh && image /tmp/img 1048576 && knob block_size 4096 &&
		knob block_delay_us 5000 || return 1
	$TOOL write --no-wait $DEV /tmp/img || return 1
	wait_for $CLS/status writing || return 1
	$TOOL cancel $DEV || return 1
	wait_for $CLS/status idle 20 || return 1
	[ "$(sysfs error)" = writing:canceled ] && [ "$(sysfs remaining_size)" -gt 0 ]
}

test_cancel_during_programming() {
	fresh && image /tmp/img 4096 && knob program_ms 60000 || return 1
	$TOOL write --no-wait $DEV /tmp/img || return 1
	wait_for $CLS/status programming || return 1
	$TOOL cancel $DEV || return 1
	# Honoured within one poll interval, not after 60 s.
	wait_for $CLS/status idle 20 && [ "$(sysfs error)" = programming:canceled ]
}

test_close_during_load_then_reopen() {
	# 64 blocks of 20 ms: the load outlasts the tool's exit by a wide margin.
	fresh && image /tmp/img 262144 && knob block_size 4096 &&
		knob block_delay_us 20000 || return 1
	# --no-wait closes the file right after starting the load.
	$TOOL write --no-wait $DEV /tmp/img || return 1
	[ "$(sysfs status)" != idle ] || { echo "# the load ended before the reopen"; return 1; }
	$TOOL wait $DEV >/tmp/out || { cat /tmp/out; return 1; }
	[ -z "$(sysfs error)" ] && cmp /tmp/img $SIM/image
}

test_rmmod_sim_during_load() {
	fresh && image /tmp/img 262144 && knob block_size 4096 &&
		knob block_delay_us 20000 || return 1
	$TOOL write --no-wait $DEV /tmp/img || return 1
	# The running load holds the driver's module: rmmod is refused, nothing breaks.
	if rmmod fpga_image_load_sim 2>/tmp/out; then
		echo "# rmmod succeeded during a load"; return 1
	fi
	echo "# rmmod during the load: $(cat /tmp/out)"
	$TOOL wait $DEV >/dev/null && cmp /tmp/img $SIM/image || return 1
	rmmod fpga_image_load_sim && [ ! -e $DEV ]
}

test_two_processes_race_to_open() {
	fresh || return 1
	for round in 1 2; do
		# Both hold the device for a minute once open: the loser's open fails
		# at once, however slowly the debug kernel starts either of them, and
		# the winner is then stopped. Both still running after 20 s means
		# both opened it.
		$ERRNO hold $DEV 60 >/tmp/a & a=$!
		$ERRNO32 hold $DEV 60 >/tmp/b & b=$!
		i=0
		while kill -0 $a 2>/dev/null && kill -0 $b 2>/dev/null; do
			i=$((i + 1))
			[ $i -le 200 ] ||
				{ echo "# round $round: both opened"; kill $a $b; wait; return 1; }
			sleep 0.1
		done
		if kill -0 $a 2>/dev/null; then winner=$a loser=$b; else winner=$b loser=$a; fi
		wait $loser; rl=$?
		kill $winner; wait $winner
		echo "# round $round: $(cat /tmp/a /tmp/b | tr '\n' ' ')(loser exit $rl)"
		# One opened (and says so at once), the other was refused.
		[ $rl -ne 0 ] && [ "$(cat /tmp/a /tmp/b | grep -c "hold: opened")" -eq 1 ] &&
			cat /tmp/a /tmp/b | grep -q "Device or resource busy" || return 1
	done
}

test_load_unload_both_modules() {
	rmmod fpga_image_load_sim 2>/dev/null
	rmmod fpga_image_load 2>/dev/null
	modprobe fpga_image_load && modprobe fpga_image_load_sim devices=2 || return 1
	[ -c /dev/fpga_image1 ] || return 1
	rmmod fpga_image_load_sim && rmmod fpga_image_load || return 1
	[ ! -e /sys/class/fpga_image_load ]
}
