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
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
OUT=$BUILD_DIR/bench
LOG=$BUILD_DIR/guest-builtin/ttyS1.log

die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

mkdir -p "$OUT"
rm -f "$OUT/bench.json" "$OUT/bench.md"
GUEST_MEM=${GUEST_MEM:-6G} \
GUEST_APPEND="fpga_image_load_sim.devices=4 ${BENCH_ARGS:+rflbench=$BENCH_ARGS} ${GUEST_APPEND:-}" \
	"$REPO/dev/guest.sh" boot bench "${BENCH_TIMEOUT:-5400}" builtin >"$OUT/console.log" 2>&1 ||
	die "the guest failed (console: $OUT/console.log)"
# The serial port ends lines with CR LF.
tr -d '\r' <"$LOG" >"$OUT/serial.txt"
grep -qx '# rfl-bench: end' "$OUT/serial.txt" ||
	die "the guest did not finish the benchmark (console: $OUT/console.log)"
awk '$0 == "# rfl-bench: json" { f = 1; next } $0 == "# rfl-bench: markdown" { f = 0 } f' \
	"$OUT/serial.txt" >"$OUT/bench.json"
awk '$0 == "# rfl-bench: markdown" { f = 1; next } /^# rfl-bench: exit / { f = 0 } f' \
	"$OUT/serial.txt" >"$OUT/bench.md"
st=$(sed -n 's/^# rfl-bench: exit //p' "$OUT/serial.txt")
[ "$st" = 0 ] || die "fpga-image-bench exited $st (console: $OUT/console.log)"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$OUT/bench.json" ||
	die "$OUT/bench.json does not parse"
cat "$OUT/bench.md"
echo "bench: $OUT/bench.json, $OUT/bench.md"
