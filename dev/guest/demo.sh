#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The main job, shown on the console by `make run`.
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "CXL devices and their DOE mailboxes (PCI core)"
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/class")" = 0x050210 ] || continue
	echo "$(basename "$d"): driver $(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)"
	[ -d "$d/doe_features" ] && ls "$d/doe_features" | sed 's/^/  doe feature /'
done

for m in $(grep -v "^#" /usr/share/rfl/kunit-modules); do
	step "modprobe $m"
	modprobe "$m" && lsmod | grep "^$m "
	step "rmmod $m"
	rmmod "$m" && echo "$m unloaded"
done
