#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Configure and build the kernel with our overlay, and put the outputs at
# their stable paths:
#   $BUILD_DIR/bzImage       the kernel
#   $BUILD_DIR/modules/      the modules_install tree (with modules.dep)
#
# The configuration is tinyconfig + dev/kernel.config (+ $EXTRA_CONFIG, a
# fragment file, if set). It is redone when either changes, and every option
# the fragments ask for is checked to have survived olddefconfig.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
TOOLS_DIR=${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rfl-drivers}
KSRC=$BUILD_DIR/linux
KOBJ=$BUILD_DIR/obj
JOBS=${JOBS:-$(nproc)}

die() { printf 'kbuild: error: %s\n' "$*" >&2; exit 1; }

rustv=$(rustc --version | awk '{print $2}')
export PATH=$TOOLS_DIR/bin:/usr/lib/llvm-19/bin:$PATH
export LIBCLANG_PATH=/usr/lib/llvm-19/lib
KMAKE=(make -s -C "$KSRC" O="$KOBJ" LLVM=1 -j"$JOBS"
       RUST_LIB_SRC="$TOOLS_DIR/rust-src-$rustv/usr/lib/rustlib/src/rust/library")

"$REPO/dev/overlay.sh" "$KSRC"

fragments=("$REPO/dev/kernel.config")
[ -n "${EXTRA_CONFIG:-}" ] && fragments+=("$EXTRA_CONFIG")
mkdir -p "$KOBJ"
sum=$(cat "${fragments[@]}" "$REPO/Kconfig" | sha256sum | cut -d' ' -f1)
if [ ! -f "$KOBJ/.config" ] || [ "$(cat "$KOBJ/.rfl-config-sum" 2>/dev/null)" != "$sum" ]; then
	echo "kbuild: configuring (tinyconfig + ${fragments[*]##*/})" >&2
	"${KMAKE[@]}" tinyconfig >/dev/null
	(cd "$KOBJ" && "$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KOBJ" \
		"$KOBJ/.config" "${fragments[@]}" >/dev/null)
	"${KMAKE[@]}" olddefconfig >/dev/null
	# Fail loudly if Kconfig dropped anything we asked for.
	bad=0
	while IFS= read -r l; do
		case "$l" in
		CONFIG_*=n) want="# ${l%=n} is not set" ;;
		CONFIG_*) want=$l ;;
		*) continue ;;
		esac
		if ! grep -qxF -- "$want" "$KOBJ/.config"; then
			have=$(grep -E "^(# )?${l%%=*}[= ]" "$KOBJ/.config" || echo "absent")
			echo "kbuild: option dropped by olddefconfig: asked '$l', got '$have'" >&2
			bad=1
		fi
	done < <(cat "${fragments[@]}")
	[ "$bad" -eq 0 ] || { rm -f "$KOBJ/.config"; die "configuration incomplete (see above)"; }
	echo "$sum" >"$KOBJ/.rfl-config-sum"
fi

"${KMAKE[@]}" ${CLIPPY:+CLIPPY=1} bzImage modules
cp "$KOBJ/arch/x86/boot/bzImage" "$BUILD_DIR/bzImage"
rm -rf "$BUILD_DIR/modules.tmp"
"${KMAKE[@]}" INSTALL_MOD_PATH="$BUILD_DIR/modules.tmp" INSTALL_MOD_STRIP=1 \
	modules_install >/dev/null
kver=$(cat "$KOBJ/include/config/kernel.release")
[ -f "$BUILD_DIR/modules.tmp/lib/modules/$kver/modules.dep" ] ||
	die "modules_install wrote no modules.dep (is depmod installed?)"
rm -rf "$BUILD_DIR/modules"
mv "$BUILD_DIR/modules.tmp" "$BUILD_DIR/modules"
echo "kbuild: $BUILD_DIR/bzImage and $BUILD_DIR/modules/lib/modules/$kver" >&2
