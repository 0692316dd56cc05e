#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Configure and build the kernel with our overlay, and put the outputs at
# their stable paths.
#
#   kbuild.sh           the debug kernel, our drivers as modules:
#     $BUILD_DIR/bzImage       the kernel (objects in $BUILD_DIR/obj)
#     $BUILD_DIR/modules/      the modules_install tree (with modules.dep)
#   kbuild.sh builtin   the second configuration, our drivers and KUnit
#                       built in (dev/builtin.config), no modules, built
#                       with W=1 and our C files with -Werror:
#     $BUILD_DIR/builtin/bzImage  the kernel (objects in $BUILD_DIR/obj-builtin)
#   kbuild.sh bare      a compile check: tinyconfig + dev/bare.config alone,
#                       without DEBUG_FS, KUNIT and EVENTFD (objects in
#                       $BUILD_DIR/obj-bare); nothing is booted
#   kbuild.sh nounload  the same for dev/nounload.config: MODULE_UNLOAD=n,
#                       KUNIT=m with WERROR, no COMPAT, fault injection not
#                       armed (objects in $BUILD_DIR/obj-nounload)
#   kbuild.sh nomodules the same for dev/nomodules.config: MODULES=n, all of
#                       ours built in with KUnit, WERROR (obj-nomodules)
#
# All build from the same overlaid source tree, $BUILD_DIR/linux. The
# configuration is tinyconfig + dev/kernel.config (+ dev/builtin.config for
# builtin) (+ $EXTRA_CONFIG, a fragment file, if set), later fragments
# overriding earlier ones. It is redone when any of them changes, and every
# option the fragments ask for is checked to have survived olddefconfig.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
TOOLS_DIR=${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rfl-drivers}
KSRC=$BUILD_DIR/linux
JOBS=${JOBS:-$(nproc)}

die() { printf 'kbuild: error: %s\n' "$*" >&2; exit 1; }

fragments=("$REPO/dev/kernel.config")
case "${1:-}" in
"")	variant=
	KOBJ=$BUILD_DIR/obj ;;
builtin)
	variant=builtin
	KOBJ=$BUILD_DIR/obj-builtin
	fragments+=("$REPO/dev/builtin.config") ;;
bare|nounload|nomodules)
	variant=$1
	KOBJ=$BUILD_DIR/obj-$1
	fragments=("$REPO/dev/$1.config") ;;
*)	die "usage: kbuild.sh [builtin|bare|nounload|nomodules]" ;;
esac

rustv=$(rustc --version | awk '{print $2}')
export PATH=$TOOLS_DIR/bin:/usr/lib/llvm-19/bin:$PATH
export LIBCLANG_PATH=/usr/lib/llvm-19/lib
KMAKE=(make -s -C "$KSRC" O="$KOBJ" LLVM=1 -j"$JOBS"
       RUST_LIB_SRC="$TOOLS_DIR/rust-src-$rustv/usr/lib/rustlib/src/rust/library")

"$REPO/dev/overlay.sh" "$KSRC"

[ -n "${EXTRA_CONFIG:-}" ] && fragments+=("$EXTRA_CONFIG")
mkdir -p "$KOBJ"
# Our options are in the patches to Kconfig files: a change to one of them
# configures again too.
mapfile -t kpatches < <(grep -l '^+++ b/.*Kconfig' "$REPO"/dev/patches/*.patch)
sum=$(cat "${fragments[@]}" "${kpatches[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$KOBJ/.config" ] || [ "$(cat "$KOBJ/.rfl-config-sum" 2>/dev/null)" != "$sum" ]; then
	echo "kbuild: configuring (tinyconfig + ${fragments[*]##*/})" >&2
	"${KMAKE[@]}" tinyconfig >/dev/null
	(cd "$KOBJ" && "$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KOBJ" \
		"$KOBJ/.config" "${fragments[@]}" >/dev/null)
	"${KMAKE[@]}" olddefconfig >/dev/null
	# Fail loudly if Kconfig dropped anything we asked for. A later fragment
	# overrides an earlier one, as merge_config.sh does: check the last word.
	bad=0
	declare -A asked=()
	while IFS= read -r l; do
		case "$l" in CONFIG_*=*) asked[${l%%=*}]=$l ;; esac
	done < <(cat "${fragments[@]}")
	for opt in "${!asked[@]}"; do
		l=${asked[$opt]}
		case "$l" in
		CONFIG_*=n)
			# Off: "is not set", or absent because what it depends on is off.
			grep -qxF -- "${l%=n}=y" "$KOBJ/.config" ||
				grep -qxF -- "${l%=n}=m" "$KOBJ/.config" || continue
			want="# ${l%=n} is not set" ;;
		*) want=$l ;;
		esac
		if ! grep -qxF -- "$want" "$KOBJ/.config"; then
			have=$(grep -E "^(# )?${l%%=*}[= ]" "$KOBJ/.config" || echo "absent")
			echo "kbuild: option dropped by olddefconfig: asked '$l', got '$have'" >&2
			bad=1
		fi
	done
	[ "$bad" -eq 0 ] || { rm -f "$KOBJ/.config"; die "configuration incomplete (see above)"; }
	echo "$sum" >"$KOBJ/.rfl-config-sum"
fi

case "$variant" in
bare|nounload|nomodules)
	# Only the directories our code is in: the kernel crate (rust/), the
	# PCI DOE core (drivers/pci/), cxl_pci with cxl_doe (drivers/cxl/) and
	# the class with its cards (drivers/fpga/). Nothing is linked or booted,
	# so vmlinux would only cost time.
	"${KMAKE[@]}" ${CLIPPY:+CLIPPY=1} rust/ drivers/pci/ drivers/cxl/ drivers/fpga/
	objs=(rust/kernel.o drivers/cxl/cxl_doe.o drivers/cxl/cxl_pci_doe.o)
	# The class needs EVENTFD, which bare has not.
	[ "$variant" = bare ] ||
		objs+=(drivers/fpga/image-load/fpga_image_load_core.o
		       drivers/fpga/image-load/fpga_image_load_sim.o
		       drivers/fpga/image-load/fpga_image_load_csim.o)
	for o in "${objs[@]}"; do
		[ -f "$KOBJ/$o" ] || die "$variant: $o was not built"
	done
	echo "kbuild: $KOBJ built ($variant: see dev/$variant.config)" >&2
	exit 0 ;;
esac

if [ "$variant" = builtin ]; then
	# Nothing of ours is a module here, and the guest of this kernel loads
	# none: whatever else the configuration left =m is not built.
	# With W=1, as a maintainer builds a patch: a warning in one of our C
	# files is an error (CFLAGS_<object> for each; upstream's own W=1
	# warnings stay warnings).
	werror=()
	for c in drivers/fpga/image-load/fpga_image_load_csim.c \
		 drivers/fpga/image-load/fpga_image_load_exports.c \
		 drivers/fpga/image-load/fpga_image_load_fwpeer.c \
		 drivers/cxl/cxl_pci_doe_exports.c \
		 drivers/cxl/cxl_doe_bench.c; do
		c=$(basename "$c" .c)
		werror+=("CFLAGS_$c.o=-Werror")
	done
	"${KMAKE[@]}" ${CLIPPY:+CLIPPY=1} W=1 "${werror[@]}" bzImage
	mkdir -p "$BUILD_DIR/builtin"
	cp "$KOBJ/arch/x86/boot/bzImage" "$BUILD_DIR/builtin/bzImage"
	echo "kbuild: $BUILD_DIR/builtin/bzImage" >&2
	exit 0
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
