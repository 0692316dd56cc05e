# SPDX-License-Identifier: GPL-2.0
#
# The benchmark (make bench, fpga-image-bench) once at tiny sizes, so that it
# cannot rot: every peer (our class through the simulated cards, upstream's
# fw_upload through its peer card, the user-space floor, and both ways to a
# DOE mailbox of cxl_doe_bench and the doe tool's registers) completes every
# measurement, the mailbox is bound again afterwards, and the JSON and
# Markdown it writes have every row. No timing is asserted. Built in only:
# the benchmark runs on that kernel.
#
# Sourced by the in-guest runner: each test_* function is one test case.

test_every_peer_completes_a_smoke_run() {
	builtin_config || { echo "# the benchmark runs on the built-in kernel"; return 4; }
	[ -d /sys/class/firmware/fpga_image_load_fwpeer ] ||
		{ echo "# no fw_upload peer"; return 1; }
	fpga-image-bench --smoke --json /tmp/smoke.json --markdown /tmp/smoke.md ||
		return 1
	for id in P1 P2 P3 P4 P4b P5 P6 P7; do
		grep -q "\"id\": *\"$id\"" /tmp/smoke.json ||
			{ echo "# no row $id in the JSON"; return 1; }
		grep -q "^| *$id *|" /tmp/smoke.md ||
			{ echo "# no row $id in the Markdown"; return 1; }
	done
	for mb in /sys/bus/auxiliary/devices/cxl_pci.doe.*; do
		[ -e "$mb/driver" ] || { echo "# ${mb##*/} left unbound"; return 1; }
	done
	echo "# $(grep -c '^| *P' /tmp/smoke.md) rows"
}
