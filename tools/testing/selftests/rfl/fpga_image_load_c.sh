# SPDX-License-Identifier: GPL-2.0
#
# The C API of the FPGA Image Load class end to end: fpga_image_load_csim, a
# simulated card written in C against include/linux/fpga/fpga-image-load.h,
# registered at the same time as the Rust card of fpga_image_load_sim. The
# tests find each card by its parent device (the C card's is the faux device
# fpga_image_load_csim, the Rust card's fpga_image_load_sim.0), so they do
# not depend on which card registered first; the C card's debugfs directory
# is named after its class device, as the Rust card's is.
#
# Sourced by the in-guest runner: each test_* function is one test case, run
# in a subshell; it passes when it returns 0, is skipped when it returns 4.
# With our drivers built in (builtin_config) both cards are there from boot
# and the tests that load or unload modules skip. The last test leaves the
# modules as the suites after this one expect them: the class and
# fpga_image_load_sim loaded, its card fpga_image0, no C card.

CLASS=/sys/class/fpga_image_load
CDBG=/sys/kernel/debug/fpga_image_load_csim
RDBG=/sys/kernel/debug/fpga_image_load_sim
CPARENT=fpga_image_load_csim
RPARENT=fpga_image_load_sim.0
TOOL=fpga-image-load
ERRNO=fpga_image_load_errno

# card_of PARENT: prints the name (fpga_imageN) of the one card whose parent
# device is PARENT.
card_of() {
	_found=
	for _c in $CLASS/fpga_image*; do
		[ -e "$_c/device" ] || continue
		[ "$(basename "$(readlink "$_c/device")")" = "$1" ] || continue
		if [ -n "$_found" ]; then
			echo "# two cards of $1: $_found and $(basename "$_c")" >&2
			return 1
		fi
		_found=$(basename "$_c")
	done
	[ -n "$_found" ] || { echo "# no card of $1 in $CLASS" >&2; return 1; }
	echo "$_found"
}

# cards: finds both cards and sets, for the C card and the Rust card, their
# names (C, R), device nodes (CDEV, RDEV), class directories (CSYS, RSYS) and
# debugfs directories (CK, RK).
cards() {
	C=$(card_of $CPARENT) && R=$(card_of $RPARENT) || return 1
	CDEV=/dev/$C CSYS=$CLASS/$C CK=$CDBG/$C
	RDEV=/dev/$R RSYS=$CLASS/$R RK=$RDBG/$R
	# The C card's debugfs directory, its only one, is named after it.
	[ "$(ls $CDBG 2>&1)" = "$C" ] ||
		{ echo "# $CDBG holds '$(ls $CDBG 2>&1 | tr '\n' ' ')', not $C"; return 1; }
	[ -c "$CDEV" ] && [ -c "$RDEV" ] && [ -d "$RK" ] ||
		{ echo "# $CDEV, $RDEV or $RK missing"; return 1; }
}

# wait_for FILE VALUE [TENTHS]: until the file reads VALUE (default 10 s).
# (sh variables are global: the counter must not be a caller's.)
wait_for() {
	_w=0
	while [ "$(cat "$1")" != "$2" ]; do
		_w=$((_w + 1))
		[ $_w -gt "${3:-100}" ] && { echo "# $1 is '$(cat "$1")', not '$2'"; return 1; }
		sleep 0.1
	done
}

# quiesce: every card's load canceled and ended.
quiesce() {
	for _d in $CLASS/fpga_image*; do
		[ -e "$_d/status" ] || continue
		$TOOL cancel "$(basename "$_d")" >/dev/null 2>&1
		wait_for "$_d/status" idle 50 || return 1
	done
}

# up: the class and both simulated cards there (their modules loaded if
# need be), idle, with their default settings; the variables of cards set.
up() {
	if ! builtin_config; then
		modprobe fpga_image_load && modprobe fpga_image_load_sim &&
			modprobe fpga_image_load_csim || return 1
	fi
	cards && quiesce || return 1
	ck block_size 0x1000 && ck block_delay_us 0 && ck program_ms 0 &&
		ck inject_error none &&
		rk block_size 0x4000 && rk block_delay_us 0 && rk program_ms 0 &&
		rk ignore_cancel 0 && rk inject_error none
}

# unload MODULE: rmmod, if it is loaded, once no load runs.
unload() {
	grep -q "^$1 " /proc/modules || return 0
	quiesce && rmmod "$1"
}

ck() { echo "$2" >"$CK/$1"; }
rk() { echo "$2" >"$RK/$1"; }

# image FILE SIZE: random bytes.
image() { head -c "$2" /dev/urandom >"$1"; }

# load DEV FILE: a load that must succeed.
load() {
	$TOOL write "$1" "$2" >/tmp/out 2>&1 ||
		{ echo "# write $1 $2 failed: $(cat /tmp/out)"; return 1; }
}

test_c_card_registers_next_to_the_rust_card() {
	if ! builtin_config; then
		unload fpga_image_load_csim || return 1
		[ ! -e $CDBG ] || { echo "# $CDBG outlives the module"; return 1; }
		[ "$(modinfo -F description fpga_image_load_csim)" = \
		    "Simulated FPGA card written in C" ] || return 1
	fi
	up || return 1
	echo "# C card $C, Rust card $R"
	[ -d /sys/bus/faux/devices/$CPARENT ] || return 1
	[ "$(cat $CSYS/status)" = idle ] && [ -z "$(cat $CSYS/error)" ] &&
		[ "$(cat $CSYS/remaining_size)" = 0 ] || return 1
	# Its knobs, and no image yet.
	[ "$(cat $CK/block_size)" = 0x00001000 ] && [ "$(cat $CK/block_delay_us)" = 0 ] &&
		[ "$(cat $CK/program_ms)" = 0 ] && [ "$(cat $CK/inject_error)" = none ] ||
		{ echo "# knobs:" "$(grep . $CK/block_size $CK/block_delay_us $CK/program_ms \
			$CK/inject_error)"; return 1; }
	# debugfs files have no size: read it.
	[ "$(cat $CK/image | wc -c)" -eq 0 ]
}

test_cards_found_whatever_the_registration_order() {
	builtin_config && return 4
	unload fpga_image_load_csim && unload fpga_image_load_sim || return 1
	# The C card first: it takes the lowest free number.
	modprobe fpga_image_load_csim && up || return 1
	echo "# C card $C, Rust card $R"
	[ "$C" = fpga_image0 ] && [ "$R" = fpga_image1 ] || return 1
	image /tmp/c.img 4096 && image /tmp/r.img 8192 || return 1
	load $CDEV /tmp/c.img && load $RDEV /tmp/r.img || return 1
	cmp /tmp/c.img $CK/image && cmp /tmp/r.img $RK/image
}

test_random_image_through_each_card_byte_exact() {
	up && image /tmp/c.img 102400 && image /tmp/r.img 102400 || return 1
	load $CDEV /tmp/c.img && load $RDEV /tmp/r.img || return 1
	cmp /tmp/c.img $CK/image && cmp /tmp/r.img $RK/image || return 1
	# Blocks smaller than, as large as and larger than the image; below 4
	# bytes the card takes 4.
	for bs in 4 0x1000 102400 0x100000 1 0; do
		ck block_size $bs && image /tmp/c.img 102400 || return 1
		load $CDEV /tmp/c.img && cmp /tmp/c.img $CK/image ||
			{ echo "# block size $bs"; return 1; }
		echo "# block size $bs: identical"
	done
	cmp /tmp/r.img $RK/image
}

test_both_cards_load_at_once() {
	# 128 blocks of 20 ms each: the loads overlap.
	up && image /tmp/c.img 524288 && image /tmp/r.img 524288 || return 1
	ck block_size 4096 && ck block_delay_us 20000 &&
		rk block_size 4096 && rk block_delay_us 20000 || return 1
	$TOOL write --no-wait $CDEV /tmp/c.img && $TOOL write --no-wait $RDEV /tmp/r.img || return 1
	[ "$(cat $CSYS/status)" != idle ] && [ "$(cat $RSYS/status)" != idle ] ||
		{ echo "# not both running: $(cat $CSYS/status), $(cat $RSYS/status)"; return 1; }
	$TOOL wait $CDEV >/dev/null && $TOOL wait $RDEV >/dev/null || return 1
	[ -z "$(cat $CSYS/error)" ] && [ -z "$(cat $RSYS/error)" ] || return 1
	cmp /tmp/c.img $CK/image && cmp /tmp/r.img $RK/image
}

test_image_file_keeps_the_image_it_was_opened_on() {
	up && image /tmp/a.img 65536 && image /tmp/b.img 32768 || return 1
	load $CDEV /tmp/a.img || return 1
	# Half a read, a new load, the rest of the read: still the first image.
	exec 3<$CK/image
	dd bs=4096 count=1 <&3 >/tmp/got 2>/dev/null || return 1
	load $CDEV /tmp/b.img || return 1
	cat <&3 >>/tmp/got
	exec 3<&-
	cmp /tmp/a.img /tmp/got && cmp /tmp/b.img $CK/image
}

test_cancel_c_card_during_writing() {
	up && image /tmp/prev.img 8192 && load $CDEV /tmp/prev.img || return 1
	image /tmp/img 1048576 && ck block_size 4096 || return 1
	# 5 ms blocks are slept through (the class sees the cancel before the
	# next block); 20 ms blocks end early on it.
	for delay in 5000 20000; do
		ck block_delay_us $delay || return 1
		$TOOL write --no-wait $CDEV /tmp/img || return 1
		wait_for $CSYS/status writing || return 1
		$TOOL cancel $CDEV || return 1
		wait_for $CSYS/status idle 20 || return 1
		[ "$(cat $CSYS/error)" = writing:canceled ] ||
			{ echo "# delay $delay: error '$(cat $CSYS/error)'"; return 1; }
		[ "$(cat $CSYS/remaining_size)" -gt 0 ] || return 1
		$TOOL status --json $CDEV | grep -q '"stage":"writing","code":"canceled"' ||
			{ echo "# status --json: $($TOOL status --json $CDEV)"; return 1; }
		# A canceled load leaves the last completed image.
		cmp /tmp/prev.img $CK/image || return 1
		echo "# delay $delay us: canceled at $(cat $CSYS/remaining_size) bytes left"
	done
	ck block_delay_us 0 && image /tmp/img 102400 && load $CDEV /tmp/img &&
		[ -z "$(cat $CSYS/error)" ] && cmp /tmp/img $CK/image
}

test_cancel_c_card_during_programming_rust_card_goes_on() {
	up && image /tmp/c.img 4096 && image /tmp/r.img 4096 || return 1
	ck program_ms 60000 && rk program_ms 3000 || return 1
	$TOOL write --no-wait $CDEV /tmp/c.img && $TOOL write --no-wait $RDEV /tmp/r.img || return 1
	wait_for $CSYS/status programming || return 1
	$TOOL cancel $CDEV || return 1
	# Honoured within one poll interval, not after 60 s.
	wait_for $CSYS/status idle 20 && [ "$(cat $CSYS/error)" = programming:canceled ] ||
		{ echo "# C card: $(cat $CSYS/status) '$(cat $CSYS/error)'"; return 1; }
	# The Rust card's load was not canceled.
	$TOOL wait $RDEV >/dev/null && [ -z "$(cat $RSYS/error)" ] && cmp /tmp/r.img $RK/image ||
		{ echo "# Rust card: '$(cat $RSYS/error)'"; return 1; }
	ck program_ms 0 && load $CDEV /tmp/c.img && cmp /tmp/c.img $CK/image
}

test_every_injected_error_is_reported_for_the_c_card() {
	up && image /tmp/img 65536 && ck block_size 4096 || return 1
	# The Rust card's last load succeeded; nothing here may change that.
	load $RDEV /tmp/img || return 1
	for stage in preparing writing programming; do
		# What is left when the stage fails: all of it, the half from the
		# block that crosses the middle on, nothing.
		case $stage in
		preparing) left=65536 ;;
		writing) left=32768 ;;
		programming) left=0 ;;
		esac
		# (Files are read with read and output matched with case: each
		# program started costs time under the debug kernel.)
		for err in hw-error timeout canceled busy invalid-size rw-error wearout; do
			ck inject_error $stage:$err || return 1
			read -r v <$CK/inject_error
			[ "$v" = "$stage:$err" ] || return 1
			if out=$($TOOL write $CDEV /tmp/img 2>&1); then
				echo "# $stage:$err: the load succeeded"; return 1
			fi
			case $out in
			*"$stage: $err"*) ;;
			*) echo "# tool said: $out"; return 1 ;;
			esac
			read -r v <$CSYS/error
			[ "$v" = "$stage:$err" ] ||
				{ echo "# sysfs error '$v', not $stage:$err"; return 1; }
			read -r v <$CSYS/status
			[ "$v" = idle ] || return 1
			read -r v <$CSYS/remaining_size
			[ "$v" = $left ] ||
				{ echo "# $stage:$err: remaining_size $v, not $left"; return 1; }
			out=$($TOOL status --json $CDEV)
			case $out in
			*"\"stage\":\"$stage\",\"code\":\"$err\""*) ;;
			*) echo "# status --json: $out"; return 1 ;;
			esac
		done
	done
	[ -z "$(cat $RSYS/error)" ] && [ "$(cat $RK/inject_error)" = none ] || return 1
	ck inject_error none && [ "$(cat $CK/inject_error)" = none ] || return 1
	load $CDEV /tmp/img && [ -z "$(cat $CSYS/error)" ] && cmp /tmp/img $CK/image
}

test_inject_error_refuses_what_it_cannot_parse() {
	up && ck inject_error writing:busy || return 1
	for bad in bogus none: writing writing: :busy writing:none Writing:busy \
	    writing:BUSY starting:busy idle:busy writing:busy:x "writing :busy" \
	    writing:hw-error-and-more-than-32-bytes; do
		if echo "$bad" 2>/dev/null >$CK/inject_error; then
			echo "# '$bad' was taken"; return 1
		fi
		[ "$(cat $CK/inject_error)" = writing:busy ] ||
			{ echo "# '$bad' changed it to '$(cat $CK/inject_error)'"; return 1; }
	done
	# White space around the setting is dropped; the newline is optional.
	printf '  programming:wearout \n' >$CK/inject_error &&
		[ "$(cat $CK/inject_error)" = programming:wearout ] || return 1
	printf 'preparing:timeout' >$CK/inject_error &&
		[ "$(cat $CK/inject_error)" = preparing:timeout ] || return 1
	ck inject_error none && [ "$(cat $CK/inject_error)" = none ]
}

test_abi_checks_on_the_c_card() {
	up && image /tmp/img 4096 && load $CDEV /tmp/img || return 1
	for c in status-every-byte eventfd write-evtfd cancel-idle; do
		$ERRNO check $CDEV $c || { echo "# $c failed"; return 1; }
	done
	ck program_ms 3000 && $ERRNO check $CDEV write-busy ||
		{ echo "# write-busy failed"; return 1; }
	ck program_ms 60000 && $ERRNO check $CDEV write-evtfd-cancel ||
		{ echo "# write-evtfd-cancel failed"; return 1; }
	ck program_ms 0 && ck inject_error writing:hw-error &&
		$ERRNO check $CDEV write-evtfd-failed ||
		{ echo "# write-evtfd-failed failed"; return 1; }
	ck inject_error none
}

test_rmmod_of_the_c_module_during_a_load() {
	builtin_config && return 4
	# 128 blocks of 20 ms each on the C card, 10 ms on the Rust card.
	up && image /tmp/c.img 524288 && image /tmp/r.img 524288 || return 1
	ck block_size 4096 && ck block_delay_us 20000 &&
		rk block_size 4096 && rk block_delay_us 10000 || return 1
	$TOOL write --no-wait $CDEV /tmp/c.img && $TOOL write --no-wait $RDEV /tmp/r.img || return 1
	# The running load holds the C module: rmmod is refused, nothing breaks.
	[ "$(cat /sys/module/fpga_image_load_csim/refcnt)" -gt 0 ] ||
		{ echo "# a running load does not hold the module"; return 1; }
	if rmmod fpga_image_load_csim 2>/tmp/out; then
		echo "# rmmod succeeded during a load"; return 1
	fi
	echo "# rmmod during the load: $(cat /tmp/out)"
	# Once canceled, the load ends and lets the module go.
	$TOOL cancel $CDEV || return 1
	i=0
	until rmmod fpga_image_load_csim 2>/dev/null; do
		i=$((i + 1))
		[ $i -le 50 ] || { echo "# rmmod still refused 5 s after the cancel"; return 1; }
		sleep 0.1
	done
	[ ! -e $CDEV ] && [ ! -e $CSYS ] && [ ! -e $CDBG ] &&
		[ ! -e /sys/bus/faux/devices/$CPARENT ] ||
		{ echo "# the C card outlives its module"; return 1; }
	# The Rust card's load was not disturbed, and the card goes on working.
	$TOOL wait $RDEV >/dev/null && [ -z "$(cat $RSYS/error)" ] && cmp /tmp/r.img $RK/image ||
		{ echo "# Rust card: '$(cat $RSYS/error)'"; return 1; }
	rk block_delay_us 0 && image /tmp/r.img 65536 && load $RDEV /tmp/r.img &&
		cmp /tmp/r.img $RK/image
}

test_open_image_file_holds_the_c_module() {
	builtin_config && return 4
	up && image /tmp/img 4096 && load $CDEV /tmp/img || return 1
	exec 3<$CK/image
	if rmmod fpga_image_load_csim 2>/dev/null; then
		exec 3<&-
		echo "# rmmod succeeded with debugfs image open"; return 1
	fi
	cat <&3 >/tmp/got
	exec 3<&-
	cmp /tmp/img /tmp/got && rmmod fpga_image_load_csim
}

test_open_c_card_gets_enodev_after_rmmod() {
	builtin_config && return 4
	up || return 1
	rm -f /tmp/go && mkfifo /tmp/go && : >/tmp/gone.out
	$ERRNO gone $CDEV </tmp/go >/tmp/gone.out &
	pid=$!
	exec 3>/tmp/go
	wait_for /tmp/gone.out ready 50 || return 1
	# An open file of the card does not hold the C module.
	rmmod fpga_image_load_csim || return 1
	echo go >&3
	exec 3>&-
	wait $pid || { echo "# $ERRNO gone failed: $(cat /tmp/gone.out)"; return 1; }
	[ ! -e $CDEV ] || return 1
	image /tmp/img 4096 && load $RDEV /tmp/img && cmp /tmp/img $RK/image
}

test_load_unload_c_module_2_times() {
	builtin_config && return 4
	unload fpga_image_load_csim || return 1
	i=0
	while [ $i -lt 2 ]; do
		up || return 1
		image /tmp/img 4096 && load $CDEV /tmp/img && cmp /tmp/img $CK/image || return 1
		rmmod fpga_image_load_csim || return 1
		[ ! -e $CDBG ] && [ ! -e /sys/bus/faux/devices/$CPARENT ] || return 1
		i=$((i + 1))
	done
}

# Last: the modules as the other suites expect them.
test_unload_leaves_the_rust_card_as_fpga_image0() {
	builtin_config && return 4
	rm -f /tmp/c.img /tmp/r.img /tmp/a.img /tmp/b.img /tmp/prev.img /tmp/got
	unload fpga_image_load_csim && unload fpga_image_load_sim || return 1
	[ ! -e $CDBG ] || { echo "# $CDBG outlives the module"; return 1; }
	modprobe fpga_image_load_sim || return 1
	[ "$(card_of $RPARENT)" = fpga_image0 ] || return 1
	image /tmp/img 65536 && load /dev/fpga_image0 /tmp/img &&
		cmp /tmp/img $RDBG/fpga_image0/image
}
