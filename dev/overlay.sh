#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Lay this repository over a Linux 7.3 tree, idempotently:
#   - every file we own under the kernel's top-level directories is symlinked
#     to the same path in the tree, so an edit here is seen by the next
#     incremental build; links to files we no longer have are removed;
#   - the few upstream files that need a line of ours (an `obj-`, a `mod`,
#     an `#include`) get it once, next to a fixed anchor;
#   - real changes to upstream files (code, our Kconfig options, MAINTAINERS)
#     are patches, dev/patches/series, applied
#     in order once each; a patch that changed or left the series is
#     reverted (with the copy kept when it was applied) before the series
#     is applied again from there.
#
# Usage: overlay.sh <kernel-tree>
set -euo pipefail

KSRC=${1:?usage: overlay.sh <kernel-tree>}
REPO=$(cd "$(dirname "$0")/.." && pwd)
MANIFEST=$KSRC/.rfl-overlay

die() { printf 'overlay: error: %s\n' "$*" >&2; exit 1; }

# LINE may be several lines, written with "\n" between them in the edits
# file: one edit, found, added and taken out together (a `#[cfg]` with the
# `mod` it is for, when the same `#[cfg]` line is already there for another).

# has_lines FILE LINE: whether FILE has LINE's lines one after another.
has_lines() {
	LINE=$2 awk 'BEGIN { n = split(ENVIRON["LINE"], b, /\\n/) }
		{ l[NR] = $0 }
		END {
			for (i = 1; i + n - 1 <= NR; i++) {
				for (j = 1; j <= n && l[i + j - 1] == b[j]; j++)
					;
				if (j > n)
					exit 0
			}
			exit 1
		}' "$1"
}

# ensure_line FILE LINE [ANCHOR-REGEX]
# Adds LINE to FILE unless present: after the first line matching ANCHOR (an
# extended regex), or at the end. A missing anchor is an error: upstream
# moved under us. Returns 1 when LINE was there already.
ensure_line() {
	local file=$KSRC/$1 line=$2 anchor=${3:-}
	[ -f "$file" ] || die "$1 does not exist"
	has_lines "$file" "$line" && return 1
	if [ -z "$anchor" ]; then
		printf '%s\n' "${line//\\n/$'\n'}" >>"$file"
		return 0
	fi
	grep -qE -- "$anchor" "$file" || die "anchor '$anchor' not found in $1"
	LINE=${line//\\n/$'\n'} RE=$anchor awk \
		'{ print } !done && $0 ~ ENVIRON["RE"] { print ENVIRON["LINE"]; done = 1 }' \
		"$file" >"$file.rfl-tmp"
	mv "$file.rfl-tmp" "$file"
}

# drop_line FILE LINE: removes the lines an earlier overlay added.
drop_line() {
	local file=$KSRC/$1
	[ -f "$file" ] || return 0
	LINE=$2 awk 'BEGIN { n = split(ENVIRON["LINE"], b, /\\n/) }
		{ l[NR] = $0 }
		END {
			for (i = 1; i + n - 1 <= NR && !at; i++) {
				for (j = 1; j <= n && l[i + j - 1] == b[j]; j++)
					;
				if (j > n)
					at = i
			}
			for (i = 1; i <= NR; i++)
				if (!at || i < at || i >= at + n)
					print l[i]
		}' "$file" >"$file.rfl-tmp"
	mv "$file.rfl-tmp" "$file"
}

# 1. Symlinks for our files.
new=$(mktemp)
(
	cd "$REPO"
	for d in drivers include rust Documentation samples lib; do
		if [ -d "$d" ]; then find "$d" -type f; fi
	done | LC_ALL=C sort
) >"$new"
if [ -f "$MANIFEST" ]; then
	# Remove links to files this repo no longer has.
	LC_ALL=C comm -23 "$MANIFEST" "$new" | while read -r f; do
		[ -L "$KSRC/$f" ] && rm -f "$KSRC/$f"
	done
fi
while read -r f; do
	dst=$KSRC/$f
	if [ -e "$dst" ] && [ ! -L "$dst" ]; then
		die "$f exists upstream: the overlay never replaces an upstream file"
	fi
	mkdir -p "$(dirname "$dst")"
	ln -sfn "$REPO/$f" "$dst"
done <"$new"
mv "$new" "$MANIFEST"

# 2. Our options are patches to drivers/fpga/Kconfig and drivers/cxl/Kconfig
# (step 4), where the kernel keeps them. Earlier overlays sourced a file of
# their own from drivers/Kconfig: take its link away (the edit that sourced
# it goes in step 3).
rm -f "$KSRC/drivers/Kconfig.rfl"

# 3. Upstream lines: dev/overlay.d/edits, one "<file>|<line>|<anchor>" each.
# $KSRC/.rfl-edits names those this overlay added (not those upstream had
# already), in order, and $KSRC/.rfl-edits-wanted the list they came from.
# When the list changes, every line added is taken out, newest first, and
# the list laid again from the start, so that the tree is the one a first
# overlay makes: edits at one anchor land in the list's order.
EDITS=$KSRC/.rfl-edits
touch "$EDITS"
wanted=$(mktemp)
grep -vE '^(#|$)' "$REPO/dev/overlay.d/edits" >"$wanted"
if ! cmp -s "$wanted" "$KSRC/.rfl-edits-wanted"; then
	tac "$EDITS" | while IFS="|" read -r file line _; do
		drop_line "$file" "$line"
	done
	: >"$EDITS"
fi
added=$(mktemp)
while IFS='|' read -r file line anchor; do
	if ensure_line "$file" "$line" "$anchor" ||
		grep -qxF -- "$file|$line|$anchor" "$EDITS"; then
		printf '%s|%s|%s\n' "$file" "$line" "$anchor" >>"$added"
	fi
done <"$wanted"
mv "$added" "$EDITS"
mv "$wanted" "$KSRC/.rfl-edits-wanted"

# 4. Upstream patches: dev/patches/series. $KSRC/.rfl-patches keeps a copy of
# each applied patch and, in "applied", their names in order; the longest
# prefix of the series that is applied unchanged stays, the rest of what is
# applied is reverted, newest first, and the rest of the series applied.
PDIR=$REPO/dev/patches
PSTATE=$KSRC/.rfl-patches
mkdir -p "$PSTATE"
touch "$PSTATE/applied"
mapfile -t want < <(grep -vE '^(#|$)' "$PDIR/series")
mapfile -t have <"$PSTATE/applied"
keep=0
while [ $keep -lt ${#have[@]} ] && [ $keep -lt ${#want[@]} ] &&
	[ "${have[$keep]}" = "${want[$keep]}" ] &&
	cmp -s "$PSTATE/${have[$keep]}" "$PDIR/${want[$keep]}"; do
	keep=$((keep + 1))
done
for ((i = ${#have[@]} - 1; i >= keep; i--)); do
	p=${have[$i]}
	patch -s -R -p1 -d "$KSRC" --no-backup-if-mismatch <"$PSTATE/$p" ||
		die "cannot revert $p: the tree has changed under it"
	rm -f "$PSTATE/$p"
	printf '%s\n' "${have[@]:0:$i}" | grep -v '^$' >"$PSTATE/applied" || :
	echo "overlay: reverted $p"
done
for ((i = keep; i < ${#want[@]}; i++)); do
	p=${want[$i]}
	[ -f "$PDIR/$p" ] || die "dev/patches/series names $p, which does not exist"
	patch -s -p1 -d "$KSRC" --dry-run -N <"$PDIR/$p" >/dev/null ||
		die "$p does not apply to $KSRC"
	patch -s -p1 -d "$KSRC" -N --no-backup-if-mismatch <"$PDIR/$p"
	cp "$PDIR/$p" "$PSTATE/$p"
	echo "$p" >>"$PSTATE/applied"
	echo "overlay: applied $p"
done
