#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-guest side of `make bench` (dev/bench.sh), run by /init for
# rflmode=bench: fpga-image-bench, with the arguments of rflbench= on the
# kernel command line (commas for spaces, e.g. rflbench=--reps,7), then its
# JSON and Markdown on the second serial port, which the host reads:
#   # rfl-bench: json
#   ...
#   # rfl-bench: markdown
#   ...
#   # rfl-bench: exit <status>
#   # rfl-bench: end
#
# With rflprofile=1 (make bench-profile) it profiles instead: for each case
# below, perf records the whole system (cpu-clock: TCG has no PMU) while
# fpga-image-bench runs just that measurement, and the report goes out as
#   # rfl-profile: <case> exit <status>
#   ...perf report, by task and by symbol...
# ending with "# rfl-bench: end".
OUT=${BENCH_OUT:-/dev/ttyS1}

# The measurements that missed their targets in a full run, alone.
PROFILES="p2-64M-64K:--only,P2,--sizes,64M,--blocks,64K
p3-64M:--only,P3,--sizes,64M
p5-1000x4B:--only,P5"

profile() {
	echo 0 >/proc/sys/kernel/kptr_restrict
	echo -1 >/proc/sys/kernel/perf_event_paranoid
	echo "$PROFILES" | while IFS=: read -r name args; do
		args=$(echo "$args" | tr , ' ')
		echo "bench: profiling $name: fpga-image-bench $args --reps 3"
		# shellcheck disable=SC2086 # the arguments are words
		perf record -q -a -g -e cpu-clock -F 2000 -o /tmp/$name.data -- \
			fpga-image-bench $args --reps 3 --json /tmp/$name.json 2>/tmp/$name.log
		st=$?
		{
			echo "# rfl-profile: $name exit $st"
			grep -h 'ratio\|error' /tmp/$name.log
			echo "## by task"
			perf report -i /tmp/$name.data --stdio --no-children --sort comm \
				--percent-limit 1 -g none 2>/dev/null | grep -v '^#' | grep .
			echo "## by symbol"
			perf report -i /tmp/$name.data --stdio --no-children --sort comm,dso,sym \
				--percent-limit 0.7 -g none 2>/dev/null | grep -v '^#' | grep .
			echo "## inclusive: the system calls and what they spend it on"
			perf report -i /tmp/$name.data --stdio --children --sort sym \
				--percent-limit 0.5 -g none 2>/dev/null | grep -v '^#' |
				grep -E 'sys_(ioctl|write|read|open|poll|ppoll)\b|vmalloc|copy_from_user|copy_folio|memmove|alloc_pages|exc_page_fault|fpga_image_load|kernfs_fop_write|fw_upload|schedule\b' |
				head -n 40
			echo "## callers of the top kernel symbols"
			perf report -i /tmp/$name.data --stdio --no-children --sort sym \
				--percent-limit 5 -g caller,0.5,callee,function,percent 2>/dev/null |
				grep -v '^#' | grep . | head -n 120
		} >"$OUT"
		rm -f /tmp/$name.data
	done
	echo "# rfl-bench: end" >"$OUT"
}

if [ -n "${rflprofile:-}" ]; then
	profile
	exit 0
fi

args=$(echo "${rflbench:-}" | tr , ' ')
echo "bench: fpga-image-bench $args"
# shellcheck disable=SC2086 # the arguments are words
fpga-image-bench $args --json /tmp/bench.json --markdown /tmp/bench.md
st=$?
{
	echo "# rfl-bench: json"
	cat /tmp/bench.json 2>/dev/null
	echo "# rfl-bench: markdown"
	cat /tmp/bench.md 2>/dev/null
	echo "# rfl-bench: exit $st"
	echo "# rfl-bench: end"
} >"$OUT"
