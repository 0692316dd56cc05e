#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-series: the patch series (dev/series.py patches) built and
# checked the kernel's way at every patch, in the pristine tree the series
# applies to ($BUILD_DIR/series/linux, objects in $BUILD_DIR/series/obj,
# logs in $BUILD_DIR/series/log/), one patch after the other, incrementally:
#
#   at every patch   make CLIPPY=1 W=1 vmlinux modules, tinyconfig +
#                    dev/series.config (configured again at each patch that
#                    changes a Kconfig file: an option a later patch adds is
#                    not there before it), with no warning
#                    from a file of ours (patches that change only tools/,
#                    Documentation/ or MAINTAINERS are not built again); make
#                    rustfmtcheck where the patch changes kernel Rust;
#                    kernel-doc -none on our headers that the patch has
#   at the last one  make rustdoc, with no warning on our code;
#                    get_maintainer.pl --self-test=patterns, with no warning
#                    on our entries
#
# (The series' quick checks, git am, checkpatch, Sphinx and the ABI entries,
# are make test's: dev/series.py check.)
#
# Prints one "ok"/"not ok" line per check and ends with "N passed, N failed".
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
TOOLS_DIR=${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rfl-drivers}
SRC=$BUILD_DIR/series/linux
KOBJ=$BUILD_DIR/series/obj
LOG=$BUILD_DIR/series/log
JOBS=${JOBS:-$(nproc)}

rustv=$(rustc --version | awk '{print $2}')
export PATH=$TOOLS_DIR/bin:/usr/lib/llvm-19/bin:$PATH
export LIBCLANG_PATH=/usr/lib/llvm-19/lib
KMAKE=(make -s -C "$SRC" O="$KOBJ" LLVM=1 -j"$JOBS"
       RUST_LIB_SRC="$TOOLS_DIR/rust-src-$rustv/usr/lib/rustlib/src/rust/library")

"$REPO/dev/series.py" patches
mapfile -t commits < <(git -C "$SRC" rev-list --reverse rfl-base..HEAD)
rm -rf "$LOG"
mkdir -p "$KOBJ" "$LOG"

pass=0 fail=0
report() { # NAME OK [WHY]
	if [ "$2" = 1 ]; then
		pass=$((pass + 1)); echo "ok $1"
	else
		fail=$((fail + 1)); echo "not ok $1${3:+ # $3}"
	fi
}

# Our files: what the series adds or changes, outside tools/.
ours_re() {
	git -C "$SRC" diff --name-only rfl-base HEAD -- . ':!tools' |
		sed 's/[.]/\\./g' | paste -sd'|'
}

# A warning or error of the compiler, clippy or rustdoc that names one of our
# files ("path:line:col: warning:" from C, "--> path:line:col" from Rust).
our_warnings() { # LOG
	local re
	re=$(ours_re)
	grep -E "(^|/)($re):[0-9]+:[0-9]+: (warning|error)|^ *--> (\S*/)?($re):[0-9]+" "$1" || true
}

n=${#commits[@]}
i=0
for c in "${commits[@]}"; do
	i=$((i + 1))
	subject=$(git -C "$SRC" log -1 --format=%s "$c")
	tag=$(printf '%02d' "$i")
	git -C "$SRC" checkout -q --detach "$c"
	files=$(git -C "$SRC" show --name-only --format= "$c")
	# The same fragment at every patch that changes a Kconfig file (and at
	# the first): what this patch's Kconfig can give.
	if [ "$i" -eq 1 ] || grep -q Kconfig <<<"$files"; then
		"${KMAKE[@]}" tinyconfig >/dev/null
		(cd "$KOBJ" && "$SRC/scripts/kconfig/merge_config.sh" -m -O "$KOBJ" \
			"$KOBJ/.config" "$REPO/dev/series.config" >/dev/null)
		"${KMAKE[@]}" olddefconfig >/dev/null
	fi
	log=$LOG/$tag.log
	start=$SECONDS
	if ! grep -qvE '^(tools/|Documentation/|MAINTAINERS$)' <<<"$files"; then
		# Nothing Kbuild reads changed: the previous patch's build stands.
		report "series/build/$tag" 1 "nothing that is built changed"
	elif "${KMAKE[@]}" CLIPPY=1 W=1 vmlinux modules >"$log" 2>&1; then
		w=$(our_warnings "$log")
		report "series/build/$tag" "$([ -z "$w" ] && echo 1 || echo 0)" \
			"$(printf '%s' "$w" | head -n1)"
	else
		report "series/build/$tag" 0 "the build failed: $(grep -m1 -E 'error' "$log" || tail -n1 "$log")"
	fi
	echo "# $tag/$n $subject: built in $((SECONDS - start)) s" >&2
	# rustfmt of the kernel's Rust, at every patch that changes some.
	if grep -v '^tools/' <<<"$files" | grep -q '[.]rs$'; then
		if "${KMAKE[@]}" rustfmtcheck >"$LOG/$tag.rustfmt" 2>&1; then
			report "series/rustfmtcheck/$tag" 1
		else
			report "series/rustfmtcheck/$tag" 0 "$(head -n1 "$LOG/$tag.rustfmt")"
		fi
	fi
	# The headers the series has changed or added so far.
	mapfile -t hdrs < <(git -C "$SRC" diff --name-only rfl-base "$c" -- 'include/*.h')
	if [ "${#hdrs[@]}" -gt 0 ]; then
		if (cd "$SRC" && scripts/kernel-doc -none -Wall "${hdrs[@]}") >"$LOG/$tag.kdoc" 2>&1 &&
			! grep -q . "$LOG/$tag.kdoc"; then
			report "series/kernel-doc/$tag" 1
		else
			report "series/kernel-doc/$tag" 0 "$(head -n1 "$LOG/$tag.kdoc")"
		fi
	fi
done

# At the last patch: rustdoc of the kernel crate with our abstractions.
if "${KMAKE[@]}" rustdoc >"$LOG/rustdoc.log" 2>&1; then
	w=$(our_warnings "$LOG/rustdoc.log")
	report series/rustdoc "$([ -z "$w" ] && echo 1 || echo 0)" "$(printf '%s' "$w" | head -n1)"
else
	report series/rustdoc 0 "make rustdoc failed: $(grep -m1 error "$LOG/rustdoc.log" || true)"
fi

# MAINTAINERS: every pattern of our entries matches a file of the tree.
(cd "$SRC" && perl scripts/get_maintainer.pl --self-test=patterns) >"$LOG/maintainers.log" 2>&1 || true
w=$(grep -iE 'rfl-drivers|fpga.image|fpga_image|cxl_doe|cxl_pci_doe|cxl/doe|rust/kernel/(cdev|chrdev|class|eventfd|sysfs|aux_device|sync/rwsem)|selftests/rfl|tools/(cxl|fpga|lib/errno)' \
	"$LOG/maintainers.log" || true)
report series/get_maintainer-self-test "$([ -z "$w" ] && echo 1 || echo 0)" "$(printf '%s' "$w" | head -n1)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
