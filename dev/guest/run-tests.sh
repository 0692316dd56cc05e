#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-guest test runner. Writes one KTAP document to $KTAP_OUT (the second
# serial port, which the host reads) so that nothing the kernel prints can
# interleave with it:
#   - one KTAP suite per KUnit suite of our modules (kunit-modules): the
#     module is (re)loaded, its suites run at load time, and their results are
#     copied from /sys/kernel/debug/kunit/<suite>/results; a suite the list
#     expects that did not run is a failed test of that name, and so is one
#     that ran in a kernel built without its option (the kernel's options
#     are in /usr/share/rfl/kconfig);
#   - one KTAP suite per built-in KUnit suite listed in doctests (they ran at
#     boot), named <suite>_rfl; a listed suite that did not run fails too;
#   - one KTAP suite per end-to-end suite file in /usr/share/rfl/suites/:
#     every function named test_* in it is a test case. It passes when it
#     returns 0, is skipped when it returns 4 (kselftest's KSFT_SKIP), fails
#     otherwise or when still running after TEST_TIMEOUT seconds.
#     Diagnostics go to the console;
#   - last, the suite kmemleak: our modules unloaded, kmemleak scans memory;
#     its case no_leaks_in_our_code fails when a leaked object's allocation
#     backtrace names our code. Every leak is printed on the console.
# rflsel=<name>[,<name>...] on the kernel command line (so in the
# environment of /init) runs only the suites whose name contains one of the
# names. The document ends with the line "# rfl-tests: end" so that the host
# can tell a finished run from a guest that died.
#
# rflconf=builtin (the second configuration: our drivers and their KUnit
# suites built in) changes three things: the suites of kunit-modules ran at
# boot and are only collected, nothing is loaded or unloaded; the end-to-end
# suites are those the initramfs has (dev/guest/suites-builtin), whose tests
# that need modules skip themselves with the helper builtin_config, defined
# for every suite; there is no kmemleak suite (that kernel has no kmemleak).
RFL=${RFL_DIR:-/usr/share/rfl}
KTAP_OUT=${KTAP_OUT:-/dev/ttyS1}
SUITES=$RFL/suites
TEST_TIMEOUT=${TEST_TIMEOUT:-120}
KUNIT_DIR=${KUNIT_DIR:-/sys/kernel/debug/kunit}
KMEMLEAK=${KMEMLEAK:-/sys/kernel/debug/kmemleak}
KMEMLEAK_PARAMS=${KMEMLEAK_PARAMS:-/sys/module/kmemleak/parameters}
KSFT_SKIP=4
SEL=${rflsel:-}

# builtin_config: whether our drivers are built in (rflconf=builtin). The
# suites get it too (see run_suite).
BUILTIN_CONFIG='builtin_config() { [ "${rflconf:-}" = builtin ]; }'
# rmmod, for the suites: unloads, then waits (up to 8 s) until the module's
# drivers and class have left sysfs. The driver core removes their
# directories only when their kobjects are released, which
# DEBUG_KOBJECT_RELEASE delays by up to 4 s; loading the module again before
# that fails on a duplicate sysfs name.
BUILTIN_CONFIG=$BUILTIN_CONFIG'
sysfs_left() {
	for _p in /sys/bus/*/drivers/$1 /sys/bus/*/drivers/$1.* /sys/class/$1; do
		[ -e "$_p" ] && return 0
	done
	return 1
}
rmmod() {
	command rmmod "$@" || return
	for _m in "$@"; do
		case "$_m" in -*) continue ;; esac
		_i=0
		while sysfs_left "$_m" && [ $_i -lt 80 ]; do
			_i=$((_i + 1))
			sleep 0.1
		done
	done
}'
eval "$BUILTIN_CONFIG"

work=${WORK_DIR:-/tmp/ktap}
mkdir -p $work
n=0

[ -z "$SEL" ] || echo "run-tests: only the suites whose name contains one of: $SEL"

# rflshard=K/N: dev/run-tests.py boots N guests of the debug kernel at once,
# and this one, the K-th, runs only its share: the end-to-end suites that
# $RFL/shards puts in shard K (from dev/guest/suites), the KUnit suites in
# shard 1, and the kmemleak suite in every shard (each guest's kernel has its
# own leaks to find).
SHARD=${rflshard:-}
[ -z "$SHARD" ] || echo "run-tests: shard $SHARD"

# mine <suite>: whether the suite is this guest's share.
mine() {
	[ -n "$SHARD" ] && [ "$1" != kmemleak ] || return 0
	_k=1
	while read -r _n _s; do
		[ "$_n" = "$1" ] && { _k=$_s; break; }
	done <$RFL/shards
	[ "$_k" = "${SHARD%/*}" ]
}

# selected <suite>: whether the selection asks for this suite, and it is this
# guest's share.
selected() {
	mine "$1" || return 1
	[ -n "$SEL" ] || return 0
	for _s in $(echo "$SEL" | tr , ' '); do
		case "$1" in *"$_s"*) return 0 ;; esac
	done
	return 1
}

# kmemleak reports only what the scans of the kmemleak suite find, at the
# end: its scan thread (first scan a minute after boot, then every ten
# minutes) would walk all memory in the middle of the suites, slow under TCG
# and upsetting their timing. Leaks are listed by that suite, which tells
# ours from the kernel's, not in full on the console by kmemleak (verbose);
# dev/run-tests.py leaves kmemleak's one-line summary to that suite.
if [ -e "$KMEMLEAK" ]; then
	echo scan=off 2>/dev/null >"$KMEMLEAK"
	[ -w "$KMEMLEAK_PARAMS/verbose" ] && echo 0 >"$KMEMLEAK_PARAMS/verbose"
fi

# add_kunit_suite <suite>: copy a KUnit suite's results, renumbered.
add_kunit_suite() {
	n=$((n + 1))
	# Drop the per-file header and plan; renumber the suite line (which
	# ends in "# SKIP <reason>" when the whole suite was skipped).
	sed -e '1{/^KTAP version/d}' -e '1,2{/^1\.\.1$/d}' \
	    -e "s/^\(not ok\|ok\) 1 \($1\)\( # .*\)\{0,1\}\$/\1 $n \2\3/" \
	    "$KUNIT_DIR/$1/results" >$work/$n
}

# not_run <name> <why>: a failed test for a suite that did not run.
not_run() {
	n=$((n + 1))
	echo "run-tests: $1 did not run: $2"
	printf 'not ok %d %s # did not run: %s\n' $n "$1" "$2" >$work/$n
}

# unwanted_suite <suite> <option> <ran>: the result of a suite the kernel
# must not have, as it was built without <option>: skipped when it did not
# run (<ran> empty), failed when it did.
unwanted_suite() {
	n=$((n + 1))
	if [ -n "$3" ]; then
		echo "run-tests: $1 ran, in a kernel without $2"
		printf 'not ok %d %s # ran in a kernel without %s\n' $n "$1" "$2" >$work/$n
	else
		printf 'ok %d %s # SKIP not in a kernel without %s\n' $n "$1" "$2" >$work/$n
	fi
}

# kconfig_on <option>: whether the kernel has the option (=y or =m); 0 on,
# 1 off ("is not set"), 2 when the kernel's options do not say (no such
# line, or no /usr/share/rfl/kconfig at all): then nothing can be skipped.
kconfig_on() {
	grep -qE "^$1=[ym]\$" $RFL/kconfig 2>/dev/null && return 0
	grep -qxF "# $1 is not set" $RFL/kconfig 2>/dev/null && return 1
	return 2
}

# inlist <word> <list>: whether the space-separated list has the word.
inlist() {
	case " $2 " in *" $1 "*) return 0 ;; esac
	return 1
}

# Fault injection per task (fail-nth) for the KUnit cases that make each
# allocation of an operation fail in turn: sleeping allocations may fail
# too, and quietly (no stack dump per failure), as fault_injection.sh sets
# them for its sweeps. Nothing fails unless a task asks: fail-nth is 0 and
# the probability stays 0. Put back after the KUnit suites.
FAILSLAB=/sys/kernel/debug/failslab
if [ -d $FAILSLAB ]; then
	failslab_wait=$(cat $FAILSLAB/ignore-gfp-wait)
	failslab_verbose=$(cat $FAILSLAB/verbose)
	echo N >$FAILSLAB/ignore-gfp-wait
	echo 0 >$FAILSLAB/verbose
fi
# A modprobe that runs a module's KUnit suites waits, uninterruptibly, for
# each case: the fault-injection sweeps take tens of seconds on the debug
# kernel, longer on a busy host, which the hung-task detector's short
# timeout would report as a hung modprobe. The KUnit runs get 5 minutes;
# the end-to-end suites after them the short timeout again.
HUNG=/proc/sys/kernel/hung_task_timeout_secs
if [ -w $HUNG ]; then
	hung_timeout=$(cat $HUNG)
	[ "$hung_timeout" -eq 0 ] || [ "$hung_timeout" -ge 300 ] || echo 300 >$HUNG
fi

# Modules with KUnit suites: <option> <module> <suite>[,<suite>...]
# [<module>...] (the option that asks for its suites, the module, the suites
# it must produce, then modules to unload before reloading it).
while read -r opt m suites unload; do
	case "$opt" in ''|'#'*) continue ;; esac
	suites=$(echo "$suites" | tr , ' ')
	want=
	for s in $suites; do
		selected "$s" && want="$want $s"
	done
	[ -n "$want" ] || continue
	kconfig_on "$opt"
	case $? in
	0) off= ;;
	1) off=$opt ;;
	*)
		for s in $want; do
			not_run "$s" "$RFL/kconfig does not say whether the kernel has $opt"
		done
		continue ;;
	esac
	# Built in, the suites ran at boot: collect them, load nothing.
	if builtin_config; then
		for s in $want; do
			if [ -n "$off" ]; then
				unwanted_suite "$s" "$off" "$(ls -d "$KUNIT_DIR/$s" 2>/dev/null)"
			elif [ -f "$KUNIT_DIR/$s/results" ]; then
				add_kunit_suite "$s"
			else
				not_run "$s" "$m built in, but the suite did not run at boot"
			fi
		done
		continue
	fi
	had=$(grep -c "^$m " /proc/modules 2>/dev/null)
	# The module first, then what uses it or what it uses, then it again
	# if something held it the first time.
	for d in $m $unload $m; do
		rmmod "$d" 2>/dev/null
	done
	before=$(ls $KUNIT_DIR 2>/dev/null)
	if ! modprobe "$m"; then
		for s in $want; do
			not_run "$s" "modprobe $m failed"
		done
		continue
	fi
	new=
	for s in $(ls $KUNIT_DIR); do
		echo "$before" | grep -qx "$s" || new="$new $s"
	done
	for s in $want; do
		if [ -n "$off" ]; then
			# Ran at this load, or at one it could not unload.
			ran=
			{ inlist "$s" "$new" || [ -d "$KUNIT_DIR/$s" ]; } && ran=$s
			unwanted_suite "$s" "$off" "$ran"
		elif inlist "$s" "$new" && [ -f "$KUNIT_DIR/$s/results" ]; then
			add_kunit_suite "$s"
		else
			not_run "$s" "module $m loaded without running it"
		fi
	done
	# A suite the list does not know yet still counts.
	for s in $new; do
		inlist "$s" "$suites" && continue
		echo "run-tests: $m ran KUnit suite $s, not listed in kunit-modules"
		selected "$s" && add_kunit_suite "$s"
	done
	# Leave the module as the guest had it: a driver loaded again, its
	# devices bound again; a test module (which would pin the module it
	# tests, and so its parameters, for the suites to come) unloaded.
	[ "$had" != 0 ] || rmmod "$m"
done <$RFL/kunit-modules

# add_doctests <suite> <ERE>: one KTAP suite of the cases of the built-in
# KUnit suite <suite> (it ran at boot) whose names match <ERE>: the kernel
# crate's KUnit suites of our abstractions, among the kernel's own.
add_doctests() {
	n=$((n + 1))
	awk -v re="$2" -v idx=$n -v name="$1_rfl" '
	/^ok 1 .* # SKIP/ {
		skip = 1
	}
	/^    (not )?ok [0-9]+ / {
		c = ($1 == "not") ? $4 : $3
		if (c !~ re)
			next
		k++
		line = $0
		sub(/ok [0-9]+ /, "ok " k " ", line)
		out[k] = line
		if ($1 == "not")
			bad = 1
	}
	END {
		if (skip && !k) {
			print "ok " idx " " name " # SKIP"
			exit
		}
		print "    KTAP version 1"
		print "    # Subtest: " name
		print "    1.." k
		for (i = 1; i <= k; i++)
			print out[i]
		print (bad || !k ? "not ok " : "ok ") idx " " name
	}' "$KUNIT_DIR/$1/results" >$work/$n
}

while read -r suite re; do
	case "$suite" in ''|'#'*) continue ;; esac
	selected "${suite}_rfl" || continue
	if [ -f "$KUNIT_DIR/$suite/results" ]; then
		add_doctests "$suite" "$re"
	else
		not_run "${suite}_rfl" "no built-in KUnit suite $suite"
	fi
done <$RFL/doctests

# KUnit results are in: later module loads (the end-to-end suites load our
# modules many times) skip their suites.
builtin_config || echo rfl-kunit-collected >/sys/module/kunit/parameters/filter_glob
if [ -n "${failslab_wait:-}" ]; then
	echo "$failslab_wait" >$FAILSLAB/ignore-gfp-wait
	echo "$failslab_verbose" >$FAILSLAB/verbose
fi
[ -n "${hung_timeout:-}" ] && echo "$hung_timeout" >$HUNG

# blocked_tasks: the kernel stacks of tasks in uninterruptible sleep.
blocked_tasks() {
	echo "run-tests: $name.$c timed out after ${limit}s; blocked tasks:"
	for t in /proc/[0-9]*; do
		[ "$(cut -d' ' -f3 "$t/stat" 2>/dev/null)" = D ] || continue
		echo "run-tests:   $(basename "$t") $(cat "$t/comm"):"
		sed 's/^/run-tests:     /' "$t/stack" 2>/dev/null
	done
	# A work item that never sleeps starves its pool without being in D.
	for t in /proc/[0-9]*; do
		[ "$(cut -d' ' -f3 "$t/stat" 2>/dev/null)" = R ] || continue
		case "$(cat "$t/comm")" in kworker*) ;; *) continue ;; esac
		echo "run-tests:   running $(basename "$t") $(cat "$t/comm"):"
		sed 's/^/run-tests:     /' "$t/stack" 2>/dev/null
	done
}

# run_suite <file> <name>: one KTAP suite out of the test_* functions of a file.
run_suite() {
	name=$2
	n=$((n + 1))
	cases=$(sed -n 's/^\(test_[A-Za-z0-9_]*\)() *{.*/\1/p' "$1")
	total=$(echo "$cases" | grep -c .)
	{
		echo "    KTAP version 1"
		echo "    # Subtest: $name"
		echo "    1..$total"
	} >$work/$n
	i=0
	ok=ok
	# A suite whose tests need longer says so in a line "# rfl-timeout: N".
	limit=$(sed -n 's/^# rfl-timeout: \([0-9][0-9]*\)$/\1/p' "$1" | head -n1)
	limit=${limit:-$TEST_TIMEOUT}
	[ "$TEST_TIMEOUT" -gt "$limit" ] && limit=$TEST_TIMEOUT
	for c in $cases; do
		i=$((i + 1))
		echo "run-tests: $name.$c"
		t0=$(cut -d' ' -f1 /proc/uptime)
		# A test that hangs fails alone, after its time limit.
		timeout -s KILL "$limit" sh -c "$BUILTIN_CONFIG"'; . "$1" && "$2"' sh "$1" "$c" </dev/null
		r=$?
		case $r in
		0)
			echo "    ok $i ${c#test_}" >>$work/$n ;;
		$KSFT_SKIP)
			echo "run-tests: $name.$c skipped"
			echo "    ok $i ${c#test_} # SKIP" >>$work/$n ;;
		*)
			echo "    not ok $i ${c#test_}" >>$work/$n
			ok="not ok"
			# Killed by the timeout: show what the kernel is blocked on.
			[ $r -eq 137 ] && blocked_tasks ;;
		esac
		echo "run-tests: $name.$c took $(awk -v t0="$t0" '{ printf "%.1f", $1 - t0 }' /proc/uptime) s"
	done
	echo "$ok $n $name" >>$work/$n
}

for f in $SUITES/*.sh; do
	[ -e "$f" ] || continue
	name=$(basename "$f" .sh)
	name=${name#[0-9][0-9]-}
	selected "$name" && run_suite "$f" "$name"
done

# Our code in a kmemleak backtrace ("    symbol+0x../0x.. [module]"): our
# modules, the C names of our drivers and their exports, and the kernel
# crate modules that are ours, by their v0- or legacy-mangled path (crate
# and module names are length-prefixed: _RNvMNtCs..._6kernel5classNtB2_...)
# or demangled (kernel::class::). The scan runs after our modules are
# unloaded (a module's static only leaks then), so their frames no longer
# resolve and show as bare addresses: the only modules the suites unload are
# ours and cxl_pci, which carries ours, so a bare address is ours too. No
# backslashes: awk -v would eat them.
OURS='[[](fpga_image_load|fpga_image_load_sim|fpga_image_load_csim|fpga_image_load_test|cxl_doe|cxl_pci)[]]|fpga_image_load|cxl_doe|cxl_pci_doe|6kernel(4cdev|6chrdev|5class|5sysfs|7eventfd|4sync5rwsem|15fpga_image_load|10aux_device)|kernel::(cdev|chrdev|class|sysfs|eventfd|sync::rwsem|fpga_image_load|aux_device)::|^[ ]*0x[0-9a-f]+$'

# leak_report <listing> <summary file>: print every object of a kmemleak
# listing on the console, ours in full and the first others in full; write
# "<objects> <ours>" to the summary file.
leak_report() {
	awk -v ours="$OURS" -v sum="$2" '
	function flush() {
		if (!len)
			return
		total++
		if (mine) {
			nmine++
			tag = "OUR LEAK"
		} else
			tag = "not ours"
		if (mine || total - nmine <= 10)
			for (i = 1; i <= len; i++)
				printf "run-tests: kmemleak| %s%s\n", rec[i], i == 1 ? "  <- " tag : ""
		else
			others++
		len = 0
	}
	/^unreferenced object/ {
		flush()
		inrec = 1
		mine = 0
		bt = 0
	}
	inrec {
		rec[++len] = $0
		# Only the backtrace: a hex dump may show a name as text.
		if (bt && $0 ~ ours)
			mine = 1
		if ($0 ~ /^  backtrace/)
			bt = 1
	}
	END {
		flush()
		if (others)
			printf "run-tests: kmemleak| ... and %d more objects not naming our code\n", others
		print total + 0, nmine + 0 >sum
	}' "$1"
}

# kmemleak_suite: the last suite, once everything else has run.
kmemleak_suite() {
	n=$((n + 1))
	out=$work/$n
	{
		echo "    KTAP version 1"
		echo "    # Subtest: kmemleak"
		echo "    1..1"
	} >$out
	verdict="not ok"
	echo "run-tests: kmemleak.no_leaks_in_our_code"
	t0=$(cut -d' ' -f1 /proc/uptime)
	if [ ! -e "$KMEMLEAK" ]; then
		why="no $KMEMLEAK: the test kernel must have CONFIG_DEBUG_KMEMLEAK"
	else
		# What our modules kept and did not free on unload is unreferenced
		# only once they are gone.
		for d in fpga_image_load_sim fpga_image_load_csim fpga_image_load_test fpga_image_load cxl_doe; do
			rmmod $d 2>/dev/null
		done
		# Objects younger than 5 s are never reported (MSECS_MIN_AGE); the
		# first scan of an object only records its checksum, so it takes
		# min_unref_scans more scans to report it.
		sleep 6
		scans=$(cat "$KMEMLEAK_PARAMS/min_unref_scans" 2>/dev/null || echo 1)
		scans=$((scans + 1))
		i=0
		while [ $i -lt $scans ]; do
			echo scan 2>$work/kmemleak.err >"$KMEMLEAK" || break
			i=$((i + 1))
		done
		if [ $i -lt $scans ]; then
			why="echo scan >$KMEMLEAK failed: $(cat $work/kmemleak.err) (kmemleak disabled? see the console)"
		elif ! cat "$KMEMLEAK" >$work/kmemleak.txt 2>$work/kmemleak.err; then
			why="cannot read $KMEMLEAK: $(cat $work/kmemleak.err)"
		else
			why=
			leak_report $work/kmemleak.txt $work/kmemleak.sum
			read -r total mine <$work/kmemleak.sum
			echo "run-tests: kmemleak suite: $total unreferenced objects, $mine with our code in their backtrace"
			echo "    # $total unreferenced objects, $mine with our code in their backtrace" >>$out
			[ "$mine" = 0 ] && verdict=ok
		fi
	fi
	if [ -n "$why" ]; then
		echo "run-tests: kmemleak suite: $why"
		echo "    # $why" >>$out
	fi
	echo "run-tests: kmemleak.no_leaks_in_our_code took $(awk -v t0="$t0" '{ printf "%.1f", $1 - t0 }' /proc/uptime) s"
	echo "    $verdict 1 no_leaks_in_our_code" >>$out
	echo "$verdict $n kmemleak" >>$out
}

# The built-in configuration has no kmemleak: no such suite there.
builtin_config || { selected kmemleak && kmemleak_suite; }

{
	echo "KTAP version 1"
	echo "1..$n"
	i=1
	while [ $i -le $n ]; do
		cat $work/$i
		i=$((i + 1))
	done
	echo "# rfl-tests: end"
} >$KTAP_OUT
