#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own KUnit workflow on our suites:
#
#   dev/kunit.sh [DIR...]
#
# runs tools/testing/kunit/kunit.py run --arch=x86_64 --make_options LLVM=1
# --kunitconfig=DIR for each DIR (default: all three of ours) in the tree the
# set-up prepared (build/linux, our overlay and patches applied), each in its
# own build directory build/kunit/<DIR with / as _>, kept between runs so
# that a second run only relinks. Exits non-zero if any run fails. With
# KUNIT_JSON_DIR=<dir>, kunit.py also writes each run's results there as
# JSON, <DIR with / as _>.json.
#
# What it adds to the bare command, which works as is on a machine whose
# PATH has the Rust toolchain and whose KVM works:
#   - PATH and RUST_LIB_SRC for the Rust toolchain of the set-up (clang 19,
#     bindgen, the rust-src matching rustc), as dev/kbuild.sh does;
#   - a qemu-system-x86_64 first in PATH that drops kunit.py's "-accel kvm":
#     KVM is there on these machines but does not work (PLATFORM.md), and
#     QEMU would take it over TCG.
#
# Our .kunitconfig files:
#   drivers/fpga/image-load	the class's state machine (fpga_image_load_class)
#				and the kernel-crate abstractions it uses
#   drivers/cxl			the DOE devices' C API (cxl_pci_doe) and
#				kernel::aux_device (rust_aux_device)
#   rust/kernel			our kernel-crate abstractions alone
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
KSRC=${KSRC:-$BUILD_DIR/linux}
TOOLS_DIR=${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rfl-drivers}
JOBS=${JOBS:-$(nproc)}

die() { printf 'kunit: error: %s\n' "$*" >&2; exit 1; }

[ -x "$KSRC/tools/testing/kunit/kunit.py" ] || die "no $KSRC: run 'make setup'"
# Our files and patches in the tree, as for any build.
"$REPO/dev/overlay.sh" "$KSRC"

rustv=$(rustc --version | awk '{print $2}')
rust_src=$TOOLS_DIR/rust-src-$rustv/usr/lib/rustlib/src/rust/library
[ -d "$rust_src" ] || die "no $rust_src: run 'make setup'"

shim=$BUILD_DIR/kunit/bin
mkdir -p "$shim"
real_qemu=$(command -v qemu-system-x86_64) || die "no qemu-system-x86_64: run 'make setup'"
cat >"$shim/qemu-system-x86_64.tmp" <<EOF
#!/bin/sh
# From dev/kunit.sh: kunit.py's QEMU command line without "-accel kvm".
n=\$#
while [ \$n -gt 0 ]; do
	a=\$1
	shift
	n=\$((n - 1))
	if [ "\$a" = -accel ] && [ "\${1:-}" = kvm ]; then
		shift
		n=\$((n - 1))
		continue
	fi
	set -- "\$@" "\$a"
done
exec "$real_qemu" "\$@"
EOF
chmod +x "$shim/qemu-system-x86_64.tmp"
mv "$shim/qemu-system-x86_64.tmp" "$shim/qemu-system-x86_64"
export PATH=$shim:$TOOLS_DIR/bin:/usr/lib/llvm-19/bin:$PATH
export LIBCLANG_PATH=/usr/lib/llvm-19/lib

[ $# -gt 0 ] || set -- drivers/fpga/image-load drivers/cxl rust/kernel
failed=0
for dir in "$@"; do
	[ -f "$KSRC/$dir/.kunitconfig" ] || die "no $dir/.kunitconfig in $KSRC"
	out=$BUILD_DIR/kunit/${dir//\//_}
	echo "kunit: $dir (build directory $out)"
	# kunit.py runs in the kernel tree; paths are relative to it.
	json=()
	[ -z "${KUNIT_JSON_DIR:-}" ] || json=(--json="$KUNIT_JSON_DIR/${dir//\//_}.json")
	(cd "$KSRC" && python3 tools/testing/kunit/kunit.py run --arch=x86_64 \
		--make_options LLVM=1 --make_options "RUST_LIB_SRC=$rust_src" \
		--jobs="$JOBS" --timeout=600 --build_dir="$out" \
		--kunitconfig="$dir" "${json[@]}") || failed=1
done
exit $failed
