# SPDX-License-Identifier: GPL-2.0
#
# The guest platform the other suites stand on: QEMU's cxl-type3 devices
# (two with QEMU's own CDAT, one per table of dev/cdat.py), bound to
# cxl_pci, each with a DOE mailbox whose features the PCI core discovered.
#
# Sourced by the in-guest runner: each test_* function is one test case.

. "${RFL_DIR:-/usr/share/rfl}/cxl_devices.sh"

cxl_mem_devices() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/class")" = 0x050210 ] && echo "$d"
	done
}

test_every_cxl_memory_device_is_there() {
	n=$(cxl_mem_devices | grep -c .)
	echo "# CXL memory devices: $n"
	[ "$n" -eq "$(cxl_devices)" ]
}

test_cxl_pci_binds_them() {
	for d in $(cxl_mem_devices); do
		drv=$(basename "$(readlink "$d/driver")")
		echo "# $(basename "$d"): $drv"
		[ "$drv" = cxl_pci ] || return 1
	done
}

test_doe_features_discovered() {
	for d in $(cxl_mem_devices); do
		f=$(ls "$d/doe_features" | tr '\n' ' ')
		echo "# $(basename "$d"): $f"
		# The PCI core calls discovery (0001:00) "doe_discovery".
		[ "$f" = "1e98:02 doe_discovery " ] || return 1
	done
}
