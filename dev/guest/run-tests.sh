#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-guest test runner. Writes one KTAP document to $KTAP_OUT (the second
# serial port, which the host reads) so that nothing the kernel prints can
# interleave with it:
#   - one KTAP suite per KUnit suite of our modules: the module is (re)loaded,
#     its suites run at load time, and their results are copied from
#     /sys/kernel/debug/kunit/<suite>/results;
#   - one KTAP suite per end-to-end suite file in /usr/share/rfl/suites/:
#     every function named test_* in it is a test case; it passes when it
#     returns 0. Diagnostics go to the console.
# The document ends with the line "# rfl-tests: end" so that the host can
# tell a finished run from a guest that died.
KTAP_OUT=${KTAP_OUT:-/dev/ttyS1}
SUITES=/usr/share/rfl/suites
TEST_TIMEOUT=${TEST_TIMEOUT:-120}
KUNIT_DIR=/sys/kernel/debug/kunit

work=/tmp/ktap
mkdir -p $work
n=0

# add_kunit_suite <suite>: copy a KUnit suite's results, renumbered.
add_kunit_suite() {
	n=$((n + 1))
	# Drop the per-file header and plan; renumber the suite line.
	sed -e '1{/^KTAP version/d}' -e '1,2{/^1\.\.1$/d}' \
	    -e "s/^\(not ok\|ok\) 1 $1\$/\1 $n $1/" \
	    "$KUNIT_DIR/$1/results" >$work/$n
}

while read -r m deps; do
	case "$m" in ''|'#'*) continue ;; esac
	for d in $deps $m; do
		rmmod "$d" 2>/dev/null
	done
	before=$(ls $KUNIT_DIR 2>/dev/null)
	if ! modprobe "$m"; then
		n=$((n + 1))
		printf 'not ok %d %s_load # modprobe %s failed\n' $n "$m" "$m" >$work/$n
		continue
	fi
	for s in $(ls $KUNIT_DIR); do
		echo "$before" | grep -qx "$s" || add_kunit_suite "$s"
	done
	# Leave the module loaded as the guest had it: devices bound again.
done </usr/share/rfl/kunit-modules

# add_doctests <suite> <ERE>: one KTAP suite of the cases of the built-in
# KUnit suite <suite> (it ran at boot) whose names match <ERE>: the kernel
# crate's doctests of our abstractions, among the kernel's own.
add_doctests() {
	[ -f "$KUNIT_DIR/$1/results" ] || return
	n=$((n + 1))
	awk -v re="$2" -v idx=$n -v name="$1_rfl" '
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
	add_doctests "$suite" "$re"
done </usr/share/rfl/doctests

# KUnit results are in: later module loads (the end-to-end suites load our
# modules many times) skip their suites.
echo rfl-kunit-collected >/sys/module/kunit/parameters/filter_glob

# blocked_tasks: the kernel stacks of tasks in uninterruptible sleep.
blocked_tasks() {
	echo "run-tests: $name.$c timed out after ${TEST_TIMEOUT}s; blocked tasks:"
	for t in /proc/[0-9]*; do
		[ "$(cut -d' ' -f3 "$t/stat" 2>/dev/null)" = D ] || continue
		echo "run-tests:   $(basename "$t") $(cat "$t/comm"):"
		sed 's/^/run-tests:     /' "$t/stack" 2>/dev/null
	done
}

# run_suite <file>: one KTAP suite out of the test_* functions of a file.
run_suite() {
	name=$(basename "$1" .sh)
	name=${name#[0-9][0-9]-}
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
	for c in $cases; do
		i=$((i + 1))
		echo "run-tests: $name.$c"
		t0=$(cut -d' ' -f1 /proc/uptime)
		# A test that hangs fails alone, after TEST_TIMEOUT seconds.
		if timeout -s KILL "$TEST_TIMEOUT" sh -c '. "$1" && "$2"' sh "$1" "$c" </dev/null; then
			echo "    ok $i ${c#test_}" >>$work/$n
		else
			r=$?
			echo "    not ok $i ${c#test_}" >>$work/$n
			ok="not ok"
			# Killed by the timeout: show what the kernel is blocked on.
			[ $r -eq 137 ] && blocked_tasks
		fi
		echo "run-tests: $name.$c took $(awk -v t0="$t0" '{ printf "%.1f", $1 - t0 }' /proc/uptime) s"
	done
	echo "$ok $n $name" >>$work/$n
}

for f in $SUITES/*.sh; do
	[ -e "$f" ] && run_suite "$f"
done

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
