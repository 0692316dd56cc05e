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
OUT=${BENCH_OUT:-/dev/ttyS1}
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
