#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: boots the built-in kernel (no KASAN, lockdep or kmemleak) once,
# with four simulated cards, and runs fpga-image-bench there
# (tools/fpga/fpga-image-bench): every measurement in that one boot, each
# repeated, as ratios of two things timed in the same boot. Writes
# $BUILD_DIR/bench/bench.json and bench.md and prints the table.
#   BENCH_ARGS  arguments for fpga-image-bench, commas for spaces
#               (e.g. BENCH_ARGS=--reps,7 or --smoke)
#   GUEST_MEM   the guest's memory (default 6G: 256 MiB images are held by
#               user space, the class and the card at once)
#
# bench.sh profile (make bench-profile): the same boot, but instead perf
# records the whole guest while fpga-image-bench runs each measurement that
# missed its target, alone (see dev/guest/bench.sh); writes
# $BUILD_DIR/bench/profile-<case>.txt, perf's report by task and by symbol.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
OUT=$BUILD_DIR/bench
LOG=$BUILD_DIR/guest-builtin/ttyS1.log

die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

profile=
[ "${1:-}" = profile ] && profile=1
# Each kind of run keeps its own console log, so that a profile does not
# overwrite the log of the benchmark run before it.
CONSOLE=$OUT/${profile:+profile-}console.log

mkdir -p "$OUT"
rm -f "$OUT/bench.json" "$OUT/bench.md"
[ -z "$profile" ] || rm -f "$OUT"/profile-*.txt
GUEST_MEM=${GUEST_MEM:-6G} \
GUEST_APPEND="fpga_image_load_sim.devices=4 ${BENCH_ARGS:+rflbench=$BENCH_ARGS} ${profile:+rflprofile=1} ${GUEST_APPEND:-}" \
	"$REPO/dev/guest.sh" boot bench "${BENCH_TIMEOUT:-5400}" builtin >"$CONSOLE" 2>&1 ||
	die "the guest failed (console: $CONSOLE)"
# The serial port ends lines with CR LF.
tr -d '\r' <"$LOG" >"$OUT/serial.txt"
grep -qx '# rfl-bench: end' "$OUT/serial.txt" ||
	die "the guest did not finish the benchmark (console: $CONSOLE)"
if [ -n "$profile" ]; then
	# One file per "# rfl-profile: <case> exit <status>" section.
	awk -v out="$OUT" '
		/^# rfl-profile: / { f = out "/profile-" $3 ".txt"; print > f; next }
		/^# rfl-bench: end/ { f = "" }
		f { print > f }' "$OUT/serial.txt"
	ls "$OUT"/profile-*.txt >/dev/null 2>&1 || die "no profile in $OUT/serial.txt"
	for f in "$OUT"/profile-*.txt; do
		head -n 30 "$f"
		echo "..."
	done
	if grep -h '^# rfl-profile: ' "$OUT"/profile-*.txt | grep -qv ' exit 0$'; then
		die "a profiled run failed (see $OUT/profile-*.txt)"
	fi
	echo "bench: $OUT/profile-*.txt"
	exit 0
fi
awk '$0 == "# rfl-bench: json" { f = 1; next } $0 == "# rfl-bench: markdown" { f = 0 } f' \
	"$OUT/serial.txt" >"$OUT/bench.json"
awk '$0 == "# rfl-bench: markdown" { f = 1; next } /^# rfl-bench: exit / { f = 0 } f' \
	"$OUT/serial.txt" >"$OUT/bench.md"
st=$(sed -n 's/^# rfl-bench: exit //p' "$OUT/serial.txt")
[ "$st" = 0 ] || die "fpga-image-bench exited $st (console: $CONSOLE)"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$OUT/bench.json" ||
	die "$OUT/bench.json does not parse"
cat "$OUT/bench.md"
echo "bench: $OUT/bench.json, $OUT/bench.md"
