# SPDX-License-Identifier: GPL-2.0
#
# Allocation failures, one at a time: fail_nth (fail_nth.c) makes each
# fault-injection point of an operation fail in turn, through
# /proc/thread-self/fail-nth, and checks that every attempt fails with a
# clean errno or succeeds, and leaves the system as its result says. The
# operations: loading our modules (fpga_image_load_sim registers two cards),
# binding a DOE mailbox, opening a card and starting a load. Each case prints
# fail_nth's summary, "fail_nth: OP TARGET: K injection points, errnos: ...",
# and leaves the modules as the guest had them: fpga_image_load and
# fpga_image_load_sim with one card, cxl_doe bound to every mailbox.
#
# Needs CONFIG_FAULT_INJECTION, FAILSLAB, FAIL_PAGE_ALLOC and
# FAULT_INJECTION_DEBUG_FS; without them every case is skipped. A module load
# has hundreds of injection points, each attempt a load of its own: by
# default only the last ones are swept (see scope()). A sweep that has not
# ended 30 s before the case's time limit (TEST_TIMEOUT) stops, and the case
# fails as incomplete. The module sweeps go from the last point
# down, so that an incomplete one has tried the module's init and the module
# loader's last steps rather than its first.
#
# Sourced by the in-guest runner: each test_* function is one test case, run
# in a subshell; it passes when it returns 0, is skipped when it returns 4.

DBG=/sys/kernel/debug
CLASS=/sys/class/fpga_image_load
SIM=/sys/kernel/debug/fpga_image_load_sim
DRV=/sys/bus/auxiliary/drivers/cxl_doe.cxl_doe_drv
DEVS=/sys/bus/auxiliary/devices
KMSG=/tmp/fault_injection.kmsg
# What a sweep changes and puts back, kept in files: a case killed at its
# time limit leaves them for the next case to put back.
SAVED_LEVEL=/tmp/fault_injection.console_loglevel
SAVED_HELPER=/tmp/fault_injection.uevent_helper

# The knobs fail-nth obeys: every allocation may fail, those that sleep
# (GFP_KERNEL) and order-0 pages too, vmalloc()'s included (they are
# __GFP_HIGHMEM); and no message per failure: "FAULT_INJECTION: forcing a
# failure" with a stack dump would be a bad report on the console.
KNOBS="failslab/ignore-gfp-wait=N failslab/verbose=0
fail_page_alloc/ignore-gfp-wait=N fail_page_alloc/ignore-gfp-highmem=N
fail_page_alloc/min-order=0 fail_page_alloc/verbose=0"

# What the console health check counts as a bug report: BAD_CONSOLE and
# KMEMLEAK_REPORT of dev/run-tests.py (keep them in step), in awk's ERE and
# with no backslash (awk -v would eat it).
BAD='Kernel panic|(^|[^A-Za-z])Oops([^A-Za-z]|$)|(^|[^A-Za-z])BUG:|kernel BUG at|'
BAD=$BAD'^BUG [^ ]+ [(]|WARNING:|cut here|---[[] end trace|Call Trace:|'
BAD=$BAD'general protection fault|KASAN:|UBSAN:|ODEBUG: |'
BAD=$BAD'list_(add|del) corruption|list_add double add|'
BAD=$BAD'refcount_t: |suspicious RCU usage|suspicious rcu_dereference|'
BAD=$BAD'kmemleak: (Cannot |Memory pool empty|.*unknown object|Found object by alias|'
BAD=$BAD'Kernel memory leak detector disabled|Kmemleak disabled|Scan area larger|'
BAD=$BAD'Failed to create|[0-9]+ new suspected memory leaks|unreferenced object)|'
BAD=$BAD'possible (recursive|circular) locking|inconsistent lock state|'
BAD=$BAD'lock held when returning|trying to register non-static key|'
BAD=$BAD'INFO: task .* blocked|INFO: .*detected stall|'
BAD=$BAD'soft lockup|hard LOCKUP|panicked at'
# Of those, what an allocation failure makes a healthy kernel print: the
# debugobjects selftest's line (not a report), kmemleak's fallback when a
# scan area cannot be allocated (pr_warn_once: the object is scanned whole).
BENIGN='ODEBUG: selftest passed|kmemleak: Cannot allocate a scan area'

# case_start: the case's clock starts, what a killed case changed is put
# back; 4 (skip) without fault injection.
case_start() {
	t_start=$(cut -d. -f1 /proc/uptime)
	if [ -e $SAVED_LEVEL ] || [ -e $SAVED_HELPER ]; then
		echo "# putting back what an interrupted case changed"
		put_back
	fi
	[ -e /proc/thread-self/fail-nth ] && [ -d $DBG/failslab ] && [ -d $DBG/fail_page_alloc ] &&
		return 0
	echo "# no fail-nth, failslab or fail_page_alloc: this kernel lacks fault injection"
	return 4
}

# budget: seconds the sweep may take: what is left of the case's time limit,
# less 30 s for its last attempt and for putting the modules back.
budget() {
	_b=$((${TEST_TIMEOUT:-120} - ($(cut -d. -f1 /proc/uptime) - t_start) - 30))
	[ $_b -ge 10 ] || _b=10
	echo $_b
}

# ko NAME: the path of the module NAME.ko.
ko() { find "/lib/modules/$(uname -r)" -name "$1.ko" | head -n1; }

knobs_set() {
	saved_knobs=
	for _kv in $KNOBS; do
		_k=${_kv%%=*}
		[ -e $DBG/$_k ] || { echo "# no $DBG/$_k"; return 1; }
		saved_knobs="$saved_knobs $_k=$(cat $DBG/$_k)"
		echo "${_kv#*=}" >$DBG/$_k || return 1
	done
}

knobs_restore() {
	for _kv in $saved_knobs; do
		echo "${_kv#*=}" >$DBG/${_kv%%=*}
	done
}

# The kernel log of the sweep. A vmalloc() that fails reports it with
# warn_alloc(): a "vmalloc error: ..." line and a stack dump, expected here,
# but a bug report for the console health check. So during the sweep the
# console prints only errors and worse (console_loglevel 4), a reader keeps
# the whole log, and afterwards every line of the sweep's log that the health
# check would flag is printed on the console with the 40 lines that follow
# it (so the health check sees it too) and fails the case; except the Call
# Trace of a warn_alloc() report, and BENIGN.

# log_wait TEXT: until the log kept so far holds TEXT (5 s at most).
log_wait() {
	_i=0
	until grep -q "$1" $KMSG; do
		_i=$((_i + 1))
		[ $_i -gt 50 ] && return 1
		sleep 0.1
	done
}

log_begin() {
	tag="rfl-fault-injection-$$-$(cut -d' ' -f1 /proc/uptime)"
	: >$KMSG
	timeout "${TEST_TIMEOUT:-120}" cat /dev/kmsg >>$KMSG 2>/dev/null &
	kmsg_pid=$!
	echo "<6>$tag: begin" >/dev/kmsg
	log_wait "$tag: begin" || { echo "# no kernel log from /dev/kmsg"; return 1; }
	# What came before reaches the console at the usual level.
	sleep 1
	cut -f1 /proc/sys/kernel/printk >$SAVED_LEVEL
	echo 4 >/proc/sys/kernel/printk
}

# put_back: the console's level and the uevent helper as they were.
put_back() {
	if [ -e $SAVED_LEVEL ]; then
		cat $SAVED_LEVEL >/proc/sys/kernel/printk
		rm -f $SAVED_LEVEL
	fi
	if [ -e $SAVED_HELPER ]; then
		cat $SAVED_HELPER >/proc/sys/kernel/hotplug
		rm -f $SAVED_HELPER
	fi
}

log_end() {
	[ -n "$kmsg_pid" ] || return 1
	echo "<6>$tag: end" >/dev/kmsg
	log_wait "$tag: end"
	_r=$?
	# The console skips the sweep's records before its level goes back.
	sleep 1
	put_back
	kill "$kmsg_pid" 2>/dev/null
	wait "$kmsg_pid" 2>/dev/null
	[ $_r -eq 0 ] || { echo "# the kernel log reader lost the end of the log"; return 1; }
	log_scan
}

# log_scan: the bug reports between the markers, as said above; 1 if any.
log_scan() {
	# /dev/kmsg lines: "level,seq,time,flags;text", continuations indented.
	awk -v b="$tag: begin" -v e="$tag: end" -v bad="$BAD" -v benign="$BENIGN" '
	/^ / { next }
	{ sub(/^[^;]*;/, "") }
	!on { if (index($0, b)) on = 1; next }
	index($0, e) { exit }
	/vmalloc error: |page allocation failure: / { alloc = 1; lines = 0 }
	alloc && ++lines > 300 { alloc = 0 }
	{
		if ($0 ~ bad && $0 !~ benign && !(alloc && /Call Trace:/)) {
			found++
			ctx = 41
		}
		if (ctx > 0 && shown < 400) {
			print "# kernel: " $0
			shown++
		}
		ctx--
	}
	index($0, "</TASK>") { alloc = 0 }
	END {
		if (found)
			print "# " found " bug report line(s) in the kernel log of the sweep"
		exit found ? 1 : 0
	}' $KMSG
}

# module_sweeps: whether this run sweeps module loads. Each attempt is a
# whole load (and unload) of the module, about 8 s on the debug kernel
# (KASAN, DEBUG_KOBJECT_RELEASE), and a load has about 340 points: a full
# sweep takes most of an hour, and the last points alone are the loader's
# (they succeed anyway), not our init. So they run only when asked for:
# GUEST_APPEND="rflfault=all TEST_TIMEOUT=4000".
module_sweeps() {
	[ "${rflfault:-}" = all ] && return 0
	echo "# module-load sweeps run with rflfault=all (about 8 s a point here)"
	return 1
}

# scope: how much of a module load a sweep covers. By default the last
# RFL_FAULT_LAST (20) injection points: the module's init and what follows
# it, where our code runs; the points before are the module loader's own,
# and each attempt past the loader's sysfs set-up costs 1 to 4 s under
# DEBUG_KOBJECT_RELEASE. rflfault=all on the kernel command line (with a
# TEST_TIMEOUT to match) sweeps every point.
scope() {
	[ "${rflfault:-}" = all ] || echo "--last ${RFL_FAULT_LAST:-20}"
}

# sweep ARGS...: fail_nth ARGS, with the knobs set, the uevent helper off
# (no modprobe racing with the loads, no helper started from the attempts)
# and the kernel log checked.
sweep() {
	if knobs_set; then
		cat /proc/sys/kernel/hotplug >$SAVED_HELPER
		echo >/proc/sys/kernel/hotplug
		if log_begin; then
			fail_nth --deadline "$(budget)" "$@"
			_s=$?
		else
			_s=1
		fi
		log_end || _s=1
		put_back
	else
		_s=1
	fi
	knobs_restore
	return $_s
}

# fpga_back: the class and the simulator loaded, with one card that loads an
# image.
fpga_back() {
	modprobe fpga_image_load && modprobe fpga_image_load_sim || return 1
	[ -c /dev/fpga_image0 ] && [ ! -e /dev/fpga_image1 ] ||
		{ echo "# cards: $(ls $CLASS 2>&1)"; return 1; }
	head -c 65536 /dev/urandom >/tmp/fi.img &&
		fpga-image-load write /dev/fpga_image0 /tmp/fi.img >/dev/null &&
		cmp /tmp/fi.img $SIM/fpga_image0/image
}

# doe_back: cxl_doe loaded and bound to every mailbox, each answering.
doe_back() {
	modprobe cxl_doe || return 1
	_n=0
	for _m in $DEVS/cxl_pci.doe.*; do
		[ -e "$_m/driver" ] || echo "$(basename "$_m")" >$DRV/bind || return 1
		_p=$(tr '\n' ' ' <"$_m/protocols")
		[ "$_p" = "0001:00 1e98:02 " ] ||
			{ echo "# $(basename "$_m"): protocols '$_p'"; return 1; }
		_n=$((_n + 1))
	done
	[ $_n -gt 0 ]
}

test_fail_nth_loading_fpga_image_load() {
	module_sweeps || return 4
	case_start || return
	m=$(ko fpga_image_load)
	[ -n "$m" ] || { echo "# no fpga_image_load.ko"; return 1; }
	for d in fpga_image_load_sim fpga_image_load_csim fpga_image_load_test fpga_image_load; do
		rmmod $d 2>/dev/null
	done
	[ ! -d /sys/module/fpga_image_load ] ||
		{ echo "# fpga_image_load does not unload"; return 1; }
	sweep --descending $(scope) --present $CLASS --gone $CLASS insmod "$m"
	r=$?
	if grep -q fpga_image_load /proc/devices; then
		echo "# fpga_image_load's device numbers are still registered"
		r=1
	fi
	fpga_back || r=1
	return $r
}

test_fail_nth_loading_fpga_image_load_sim() {
	module_sweeps || return 4
	case_start || return
	m=$(ko fpga_image_load_sim)
	[ -n "$m" ] || { echo "# no fpga_image_load_sim.ko"; return 1; }
	rmmod fpga_image_load_sim 2>/dev/null
	modprobe fpga_image_load || return 1
	[ ! -d /sys/module/fpga_image_load_sim ] ||
		{ echo "# fpga_image_load_sim does not unload"; return 1; }
	# Two cards: a failure at the second unwinds the first. ENODEV: the
	# Rust faux::Registration reports any failure of faux_device_create()
	# (which returns NULL) as ENODEV. Its debugfs files are best effort.
	set --
	for p in $CLASS/fpga_image0 $CLASS/fpga_image1 /dev/fpga_image0 /dev/fpga_image1 \
	    /sys/bus/faux/devices/fpga_image_load_sim.0 \
	    /sys/bus/faux/devices/fpga_image_load_sim.1; do
		set -- "$@" --present $p --gone $p
	done
	sweep --descending $(scope) --allow ENOMEM,ENODEV "$@" --gone $SIM insmod "$m" devices=2
	r=$?
	fpga_back || r=1
	return $r
}

test_fail_nth_loading_cxl_doe() {
	module_sweeps || return 4
	case_start || return
	m=$(ko cxl_doe)
	[ -n "$m" ] || { echo "# no cxl_doe.ko"; return 1; }
	modprobe cxl_pci || return 1
	rmmod cxl_doe 2>/dev/null
	[ ! -d /sys/module/cxl_doe ] || { echo "# cxl_doe does not unload"; return 1; }
	# Loading binds every mailbox; unloading must unbind them all.
	set --
	for d in $DEVS/cxl_pci.doe.*; do
		set -- "$@" --gone "$d/driver"
	done
	sweep --descending $(scope) "$@" --present $DRV --gone $DRV insmod "$m"
	r=$?
	doe_back || r=1
	return $r
}

test_fail_nth_binding_a_doe_mailbox() {
	case_start || return
	doe_back || return 1
	m=$(basename "$(ls -d $DEVS/cxl_pci.doe.* | head -n1)")
	echo "$m" >$DRV/unbind || return 1
	# Bound exactly when the write succeeded; unbound again after each.
	sweep --min 25 --state $DEVS/$m/driver --undo $DRV/unbind write $DRV/bind "$m"
	r=$?
	doe_back || r=1
	return $r
}

test_fail_nth_open_and_write() {
	case_start || return
	modprobe fpga_image_load && modprobe fpga_image_load_sim || return 1
	[ -c /dev/fpga_image0 ] || return 1
	# A quick, healthy card: the default settings.
	for kv in block_size=0x4000 block_delay_us=0 program_ms=0 inject_error=none; do
		echo "${kv#*=}" >$SIM/fpga_image0/${kv%%=*} || return 1
	done
	sweep --min 5 --readback $SIM/fpga_image0/image open-write /dev/fpga_image0 65536
	r=$?
	fpga_back || r=1
	return $r
}
