# SPDX-License-Identifier: GPL-2.0
#
# Which CXL device is behind a DOE mailbox, for the suites that need to tell
# them apart (sourced by them; not a suite). The guest has QEMU's own two
# cxl-type3 devices, whose CDAT QEMU builds itself, and one device per table
# of dev/cdat.py, which QEMU serves from a file as it is; dev/guest.sh gives
# each of those the serial number that the file $CDAT_DIR/devices pairs with
# its kind, and copies the tables to $CDAT_DIR/<kind>.bin. Also bound_all,
# which the suites use to start from every mailbox bound to cxl_doe.

CDAT_DIR=${RFL_DIR:-/usr/share/rfl}/cdat
AUX_DEVS=/sys/bus/auxiliary/devices
DRV=/sys/bus/auxiliary/drivers/cxl_doe.cxl_doe_drv

# These helpers start no program: under the debug kernel each fork and exec
# costs about a tenth of a second, and the suites call them often.

# bound_all: cxl_doe loaded (unless built in: builtin_config, from the
# runner) and bound to every mailbox.
bound_all() {
	builtin_config || modprobe cxl_doe || return 1
	for _m in $AUX_DEVS/cxl_pci.doe.*; do
		[ -e "$_m/driver" ] || echo "${_m##*/}" >$DRV/bind
	done
}

# memdev_of MAILBOX: the CXL memory device (memN) of the mailbox's PCI device
# (the mailbox's parent, which ".." after its sysfs link names).
memdev_of() {
	for _p in "$AUX_DEVS/$1"/../mem*; do
		[ -e "$_p" ] && echo "${_p##*/}"
		return
	done
}

# cdat_kind MAILBOX: the kind of CDAT behind the mailbox: "qemu" for QEMU's
# own table, else a kind of dev/cdat.py (big, bad-checksum, truncated,
# length-lies, zero-length).
cdat_kind() {
	_sn=
	read -r _sn <"/sys/bus/cxl/devices/$(memdev_of "$1")/serial"
	_kind=qemu
	while read -r _s _k; do
		[ "$_s" = "$_sn" ] && { _kind=$_k; break; }
	done <"$CDAT_DIR/devices"
	echo "$_kind"
}

# mailboxes_of KIND...: the names (cxl_pci.doe.N) of the mailboxes whose
# CDAT is of one of the kinds; "good" stands for qemu and big.
mailboxes_of() {
	for _m in $AUX_DEVS/cxl_pci.doe.*; do
		[ -e "$_m" ] || continue
		_k=$(cdat_kind "${_m##*/}")
		for _want in "$@"; do
			case "$_want:$_k" in
			"$_k:$_k" | good:qemu | good:big) echo "${_m##*/}"; break ;;
			esac
		done
	done
}

# MALFORMED: the kinds whose table the kernel must refuse.
MALFORMED="bad-checksum truncated length-lies zero-length"

# cxl_devices: how many cxl-type3 devices the guest has.
cxl_devices() { echo $((2 + $(grep -c . "$CDAT_DIR/devices"))); }
