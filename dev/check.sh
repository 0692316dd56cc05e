#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Source checks that need no guest: rustfmt of the kernel Rust (with the
# kernel's own .rustfmt.toml) and of the user-space tools.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
KSRC=${BUILD_DIR:-$REPO/build}/linux
cd "$REPO"
mapfile -t krs < <(find drivers rust samples -name '*.rs' 2>/dev/null)
if [ "${#krs[@]}" -gt 0 ]; then
	rustfmt --check --edition 2021 --config-path "$KSRC/.rustfmt.toml" "${krs[@]}"
fi
cargo fmt --all --check --manifest-path tools/Cargo.toml
echo "check: rustfmt clean"
