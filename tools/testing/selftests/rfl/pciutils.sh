# SPDX-License-Identifier: GPL-2.0
#
# Debian's pciutils, which none of us wrote, as an independent check of the
# DOE mailboxes: lspci decodes the same DOE capabilities that our doe tool
# lists, and setpci alone, register by register, drives a discovery
# exchange through a mailbox that unbinding left to user space. The guest
# runs the host's own lspci and setpci with their shared libraries
# (dev/guest.sh copies them into the initramfs).
#
# Sourced by the in-guest runner: each test_* function is one test case.

. "${RFL_DIR:-/usr/share/rfl}/cxl_devices.sh"

# reg BDF OFFSET [VALUE]: read (or write) the config-space dword at OFFSET
# through setpci; it reads as 8 hex digits without 0x.
reg() {
	if [ $# -eq 3 ]; then
		setpci -s "$1" "$(printf %x "$2").l=$(printf %08x "$3")"
	else
		setpci -s "$1" "$(printf %x "$2").l"
	fi
}

test_lspci_decodes_the_mailboxes_doe_list_reports() {
	bound_all || return 1
	# "cxl_pci.doe.N: 0000:0d:00.0 offset 0x190, bound to ..." -> "0000:0d:00.0@190"
	doe list | sed -n 's/^cxl_pci\.doe\.[0-9]*: \([^ ]*\) offset 0x\([0-9a-f]*\),.*/\1@\2/p' |
		sort >/tmp/ours
	# lspci -D -vvv: "0000:0d:00.0 CXL: ..." then, for each mailbox,
	# "Capabilities: [190 v1] Data Object Exchange" and its decoded
	# registers ("DOECap:", "DOECtl:", "DOESta:").
	lspci -D -n -vvv >/tmp/lspci 2>/tmp/lspci.err || { cat /tmp/lspci.err; return 1; }
	awk '/^[0-9a-f]/ { bdf = $1 }
	     /Capabilities: \[[0-9a-f]+ v[0-9]+\] Data Object Exchange/ {
		off = $2; gsub(/\[/, "", off); sub(/^0+/, "", off); print bdf "@" off }' \
		/tmp/lspci | sort >/tmp/theirs
	echo "# ours: $(tr '\n' ' ' </tmp/ours)"
	echo "# lspci: $(tr '\n' ' ' </tmp/theirs)"
	[ "$(wc -l </tmp/ours)" -eq "$(cxl_devices)" ] ||
		{ echo "# doe list does not list $(cxl_devices) mailboxes"; return 1; }
	cmp -s /tmp/ours /tmp/theirs || { echo "# lspci and doe list disagree"; return 1; }
	# lspci decoded every capability's registers, not only its name.
	[ "$(grep -c 'DOESta: Busy- IntSta. Error- ObjectReady-' /tmp/lspci)" \
		-eq "$(cxl_devices)" ] || {
		echo "# lspci did not decode an idle DOESta for every mailbox"
		grep DOE /tmp/lspci; return 1
	}
}

test_setpci_drives_a_discovery_exchange_on_an_unbound_mailbox() {
	bound_all || return 1
	m=$(mailboxes_of qemu | head -n1)
	[ -n "$m" ] || { echo "# no mailbox of QEMU's own devices"; return 1; }
	bdf=$(basename "$(dirname "$(readlink -f "$AUX_DEVS/$m")")")
	off=$(($(cat "$AUX_DEVS/$m/offset")))
	doe discover "$m" >/tmp/kernel || return 1
	echo "$m" >$DRV/unbind || return 1
	r=0
	# The registers of PCIe r6.0 sec 7.9.24: control +8 (bit 31 Go), status
	# +0xc (bit 31 Data Object Ready, bit 2 Error, bit 0 Busy), write
	# mailbox +0x10, read mailbox +0x14 (a write to it pops a dword).
	# For each index until the responder says 0 comes next: a request of
	# three dwords (vendor 0001 type 00, length 3, the index), Go, wait for
	# Ready, three dwords back.
	index=0 seen=
	while :; do
		[ $((0x$(reg "$bdf" $((off + 0xc))) & 0x5)) -eq 0 ] ||
			{ echo "# mailbox busy or in error"; r=1; break; }
		reg "$bdf" $((off + 0x10)) 0x00000001 &&
			reg "$bdf" $((off + 0x10)) 0x00000003 &&
			reg "$bdf" $((off + 0x10)) $index &&
			reg "$bdf" $((off + 0x8)) 0x80000000 || { r=1; break; }
		i=0
		until [ $((0x$(reg "$bdf" $((off + 0xc))) & 0x80000000)) -ne 0 ]; do
			i=$((i + 1))
			[ $i -le 100 ] || { echo "# no response to index $index"; r=1; break 2; }
			sleep 0.01
		done
		rsp=
		for _d in 0 1 2; do
			rsp="$rsp $(reg "$bdf" $((off + 0x14)))"
			reg "$bdf" $((off + 0x14)) 0 || { r=1; break 2; }
		done
		echo "# index $index:$rsp"
		set -- $rsp
		[ "$1" = 00000001 ] && [ "$2" = 00000003 ] ||
			{ echo "# not a discovery response"; r=1; break; }
		# dword 2: vendor [15:0], protocol [23:16], next index [31:24].
		d=$((0x$3))
		seen="$seen$(printf '%04x:%02x' $((d & 0xffff)) $(((d >> 16) & 0xff))) "
		index=$(((d >> 24) & 0xff))
		[ $index -ne 0 ] || break
		[ ${#seen} -lt 200 ] || { echo "# more than 20 protocols"; r=1; break; }
	done
	# Binding again aborts the mailbox to a clean state, whatever we left.
	echo "$m" >$DRV/bind || return 1
	[ $r -eq 0 ] || return 1
	kernel=$(grep -o '^[0-9a-f]*:[0-9a-f]*' /tmp/kernel | tr '\n' ' ')
	echo "# setpci: $seen; kernel: $kernel"
	[ "$seen" = "$kernel" ] ||
		{ echo "# setpci and the kernel discovered different protocols"; return 1; }
	[ "$(cat "$AUX_DEVS/$m/protocols" | tr '\n' ' ')" = "0001:00 1e98:02 " ]
}
