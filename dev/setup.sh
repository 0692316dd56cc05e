#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Set up a fresh Debian 12 machine for this project, idempotently:
#   - Debian packages (LLVM 19, kernel build deps, busybox, QEMU 10 from
#     bookworm-backports); only the *-backports suites are ever added;
#   - Rust for the kernel: the installed rustc plus Debian's rust-src of the
#     exact same version, and a pinned bindgen-cli;
#   - the Linux 7.3 source tree (LINUX_SRC, LINUX_TARBALL or Debian's
#     linux-source-7.3 from trixie-backports).
#
# Environment: BUILD_DIR (default ./build), TOOLS_DIR (default
# ~/.cache/rfl-drivers), LINUX_SRC, LINUX_TARBALL.
set -euo pipefail

BUILD_DIR=${BUILD_DIR:-$PWD/build}
TOOLS_DIR=${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rfl-drivers}
BINDGEN_VERSION=0.72.1
SPHINX_VERSION=9.0.4
KSRC=$BUILD_DIR/linux

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

APT_PKGS="make gcc gcc-multilib libc6-dev clang-19 lld-19 llvm-19 libclang-19-dev bc
	  bison flex libelf-dev libssl-dev cpio kmod busybox-static xz-utils python3 patch
	  pciutils trinity ndctl linux-perf gdb"

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return
	$SUDO apt-get update -qq
	apt_updated=1
}

missing_pkgs() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q 'install ok installed' || printf '%s ' "$p"
	done
}

backports_sources() {
	local f=/etc/apt/sources.list.d/rfl-backports.sources
	local pin=/etc/apt/preferences.d/rfl-backports
	if [ ! -f "$f" ]; then
		log "adding bookworm-backports and trixie-backports (never the trixie main suites)"
		$SUDO tee "$f" >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
		apt_updated=
	fi
	if [ ! -f "$pin" ]; then
		# Backports never upgrade anything unless asked for explicitly.
		$SUDO tee "$pin" >/dev/null <<'PIN'
Package: *
Pin: release n=trixie-backports
Pin-Priority: 100

Package: *
Pin: release n=bookworm-backports
Pin-Priority: 100
PIN
	fi
}

install_packages() {
	local miss
	backports_sources
	miss=$(missing_pkgs $APT_PKGS)
	if [ -n "$miss" ]; then
		apt_update
		log "installing $miss"
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $miss >/dev/null
	fi
	if ! qemu-system-x86_64 --version 2>/dev/null | grep -q 'version 1[0-9]\.'; then
		apt_update
		log "installing qemu-system-x86 from bookworm-backports"
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
			-t bookworm-backports qemu-system-x86 >/dev/null
	fi
	qemu-system-x86_64 --version | grep -q 'version 1[0-9]\.' ||
		die "QEMU >= 10 is required"
}

# Debian's rust-src whose upstream version equals the installed rustc's.
install_rust_src() {
	local rv dir deb ver
	command -v rustc >/dev/null || die "rustc not found (rustup's toolchain is expected on PATH)"
	rv=$(rustc --version | awk '{print $2}')
	dir=$TOOLS_DIR/rust-src-$rv
	if [ -f "$dir/usr/lib/rustlib/src/rust/library/core/src/lib.rs" ]; then
		return
	fi
	apt_update
	ver=$(apt-cache madison rust-src | awk -v v="$rv" '$3 ~ "^"v"[+~-]" {print $3; exit}')
	[ -n "$ver" ] || die "no Debian rust-src matching rustc $rv"
	log "fetching Debian rust-src $ver for rustc $rv"
	mkdir -p "$TOOLS_DIR/dl" "$dir"
	(cd "$TOOLS_DIR/dl" && apt-get download -qq "rust-src=$ver")
	deb=$(ls "$TOOLS_DIR"/dl/rust-src_*.deb | head -n1)
	dpkg-deb -x "$deb" "$dir"
	rm -f "$deb"
}

install_bindgen() {
	local b=$TOOLS_DIR/bin/bindgen
	if [ -x "$b" ] && "$b" --version | grep -q " $BINDGEN_VERSION\$"; then
		return
	fi
	log "installing bindgen-cli $BINDGEN_VERSION"
	LIBCLANG_PATH=/usr/lib/llvm-19/lib cargo install -q --locked --root "$TOOLS_DIR" \
		bindgen-cli --version "$BINDGEN_VERSION"
}

install_kernel_source() {
	local tarball=${LINUX_TARBALL:-} tmp
	[ -f "$KSRC/Makefile" ] && return
	if [ -n "${LINUX_SRC:-}" ]; then
		[ -f "$LINUX_SRC/Makefile" ] || die "LINUX_SRC=$LINUX_SRC is not a kernel tree"
		log "using the kernel tree $LINUX_SRC"
		mkdir -p "$BUILD_DIR"
		ln -sfn "$(readlink -f "$LINUX_SRC")" "$KSRC"
		return
	fi
	if [ -z "$tarball" ]; then
		apt_update
		log "fetching Debian's linux-source-7.3 from trixie-backports"
		tmp=$(mktemp -d)
		(cd "$tmp" && apt-get download -qq -t trixie-backports linux-source-7.3)
		dpkg-deb -x "$tmp"/linux-source-7.3_*.deb "$tmp/x"
		tarball=$(ls "$tmp"/x/usr/src/linux-source-7.3.tar.xz)
	fi
	# The patch series' checks (dev/series.py) make a pristine git tree
	# from the same tarball: keep a copy.
	if [ ! -f "$TOOLS_DIR/linux-source-7.3.tar.xz" ]; then
		mkdir -p "$TOOLS_DIR"
		cp "$tarball" "$TOOLS_DIR/linux-source-7.3.tar.xz"
	fi
	log "extracting $tarball"
	mkdir -p "$KSRC.tmp"
	tar -xf "$tarball" -C "$KSRC.tmp" --strip-components=1
	mv "$KSRC.tmp" "$KSRC"
	[ -n "${tmp:-}" ] && rm -rf "$tmp"
	grep -q '^VERSION = 7' "$KSRC/Makefile" && grep -q '^PATCHLEVEL = 3' "$KSRC/Makefile" ||
		die "$KSRC is not Linux 7.3"
}

# What the kernel's checkpatch.pl runs (scripts/spdxcheck.py), from PyPI.
install_python_modules() {
	python3 -c 'import ply, git' 2>/dev/null && return
	log "installing ply and GitPython for checkpatch.pl's SPDX check"
	python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore \
		ply GitPython
}

# Sphinx for our Documentation pages (make htmldocs), in a venv of its own.
install_docs_venv() {
	local v=$TOOLS_DIR/docs-venv
	[ -x "$v/bin/sphinx-build" ] && return
	log "installing Sphinx $SPHINX_VERSION into $v"
	rm -rf "$v"
	python3 -m venv "$v"
	"$v/bin/pip" install -q --disable-pip-version-check "Sphinx==$SPHINX_VERSION" \
		PyYAML alabaster
}

install_packages
install_python_modules
install_docs_venv
install_rust_src
install_bindgen
install_kernel_source
log "ready: kernel source $KSRC, tools in $TOOLS_DIR"
