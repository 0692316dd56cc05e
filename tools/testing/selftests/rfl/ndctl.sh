# SPDX-License-Identifier: GPL-2.0
#
# Debian's ndctl, whose cxl tool none of us wrote, as an independent check
# of which CXL memory device each DOE mailbox belongs to: cxl list finds
# every memory device the guest has, and for each mailbox our doe tool
# lists, the memory device whose host is the mailbox's PCI device is the
# one our suites take it for (memdev_of). The guest runs the host's own
# cxl with its shared libraries (dev/guest.sh copies them into the
# initramfs).
#
# Sourced by the in-guest runner: each test_* function is one test case.

. "${RFL_DIR:-/usr/share/rfl}/cxl_devices.sh"

# cxl_memdevs: "memN BDF" for each memory device cxl list reports, from its
# JSON ("memdev":"mem0", ..., "host":"0000:0d:00.0"), one object a line.
cxl_memdevs() {
	cxl list -M 2>/tmp/cxl.err | tr -d ' \n\t' | sed 's/},{/}\n{/g' |
		sed -n 's/.*"memdev":"\([^"]*\)".*"host":"\([^"]*\)".*/\1 \2/p' | sort
}

test_cxl_list_finds_every_memory_device() {
	cxl_memdevs >/tmp/cxl.list
	echo "# cxl list: $(tr '\n' ' ' </tmp/cxl.list)"
	[ -s /tmp/cxl.err ] && echo "# cxl: $(head -n3 /tmp/cxl.err | tr '\n' ' ')"
	[ "$(wc -l </tmp/cxl.list)" -eq "$(cxl_devices)" ] ||
		{ echo "# cxl list does not list $(cxl_devices) memory devices"; return 1; }
	# The same set the kernel shows under /sys/bus/cxl.
	ls /sys/bus/cxl/devices | grep '^mem[0-9]*$' | sort >/tmp/sysfs.mem
	awk '{ print $1 }' /tmp/cxl.list | sort | cmp -s - /tmp/sysfs.mem ||
		{ echo "# /sys/bus/cxl has: $(tr '\n' ' ' </tmp/sysfs.mem)"; return 1; }
}

test_each_mailbox_belongs_to_the_memdev_cxl_list_says() {
	bound_all || return 1
	cxl_memdevs >/tmp/cxl.list
	# "cxl_pci.doe.N: 0000:0d:00.0 offset 0x190, bound to ..."
	doe list | sed -n 's/^\(cxl_pci\.doe\.[0-9]*\): \([^ ]*\) offset.*/\1 \2/p' >/tmp/ours
	[ "$(wc -l </tmp/ours)" -eq "$(cxl_devices)" ] ||
		{ echo "# doe list does not list $(cxl_devices) mailboxes"; return 1; }
	while read -r _m _bdf; do
		_theirs=$(awk -v bdf="$_bdf" '$2 == bdf { print $1 }' /tmp/cxl.list)
		_mine=$(memdev_of "$_m")
		echo "# $_m at $_bdf: cxl list says ${_theirs:-nothing}, memdev_of $_mine"
		[ -n "$_theirs" ] && [ "$_theirs" = "$_mine" ] || return 1
	done </tmp/ours
}
