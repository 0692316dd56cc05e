# SPDX-License-Identifier: GPL-2.0
#
# Our modules load and unload with busybox modprobe/rmmod, repeatedly.

load_unload() {
	i=0
	while [ $i -lt "$2" ]; do
		modprobe "$1" || return 1
		grep -q "^$1 " /proc/modules || return 1
		rmmod "$1" || return 1
		grep -q "^$1 " /proc/modules && return 1
		i=$((i + 1))
	done
	return 0
}

test_fpga_image_load_load_unload() {
	load_unload fpga_image_load 2
}

test_cxl_doe_load_unload() {
	load_unload cxl_doe 2
}

test_module_aliases() {
	# cxl_doe autoloads for its auxiliary devices.
	modinfo -F alias cxl_doe | grep -qx 'auxiliary:cxl_pci.doe'
}
