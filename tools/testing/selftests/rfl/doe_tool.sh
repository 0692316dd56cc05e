# SPDX-License-Identifier: GPL-2.0
#
# The doe tool against QEMU's DOE responder: the same answers through the
# kernel (bound mailbox, driver attributes) and through the registers
# (unbound mailbox, config space), and clear refusals.
#
# Sourced by the in-guest runner: each test_* function is one test case.

DRV=/sys/bus/auxiliary/drivers/cxl_doe.cxl_doe_drv

# bound_all: cxl_doe loaded (unless built in: builtin_config, from the
# runner) and bound to every mailbox.
bound_all() {
	builtin_config || modprobe cxl_doe || return 1
	for m in /sys/bus/auxiliary/devices/cxl_pci.doe.*; do
		[ -e "$m/driver" ] || echo "$(basename "$m")" >$DRV/bind
	done
}

first() { basename "$(ls -d /sys/bus/auxiliary/devices/cxl_pci.doe.* | head -n1)"; }

test_list_shows_every_mailbox() {
	bound_all || return 1
	doe list || return 1
	[ "$(doe list --json | grep -o '"cxl_pci.doe.[0-9]*"' | sort -u | wc -l)" -eq 2 ]
}

test_discover_same_bound_and_unbound() {
	bound_all && m=$(first) || return 1
	doe discover "$m" >/tmp/kernel || return 1
	doe unbind "$m" || return 1
	doe discover "$m" >/tmp/regs
	r=$?
	doe bind "$m" || return 1
	echo "# kernel path: $(grep -o '^[0-9a-f]*:[0-9a-f]*' /tmp/kernel | tr '\n' ' ')"
	[ $r -eq 0 ] && grep -q "1e98:02" /tmp/kernel && cmp /tmp/kernel /tmp/regs
}

test_cdat_same_bound_and_unbound() {
	bound_all && m=$(first) || return 1
	doe cdat --raw "$m" >/tmp/kernel.bin || return 1
	doe cdat "$m" >/tmp/kernel.txt || return 1
	doe unbind "$m" || return 1
	doe cdat --raw "$m" >/tmp/regs.bin
	r=$?
	doe cdat "$m" >/tmp/regs.txt
	r2=$?
	doe bind "$m" || return 1
	echo "# CDAT $(wc -c </tmp/kernel.bin) bytes; decoded: $(grep -c . /tmp/kernel.txt) lines"
	[ $r -eq 0 ] && [ $r2 -eq 0 ] && cmp /tmp/kernel.bin /tmp/regs.bin &&
		cmp /tmp/kernel.txt /tmp/regs.txt &&
		cmp /tmp/kernel.bin "/sys/bus/auxiliary/devices/$m/cdat"
}

test_bdf_at_offset_names_the_same_mailbox() {
	bound_all && m=$(first) || return 1
	d=/sys/bus/auxiliary/devices/$m
	alias="$(basename "$(dirname "$(readlink -f "$d")")")@$(cat "$d/offset")"
	doe discover "$alias" >/tmp/a && doe discover "$m" >/tmp/b && cmp /tmp/a /tmp/b
}

test_exchange_on_an_unbound_mailbox() {
	bound_all && m=$(first) || return 1
	doe unbind "$m" || return 1
	# Discovery index 0 by hand: the response names protocol 0001:00.
	printf '\000\000\000\000' >/tmp/req
	doe exchange "$m" --vendor 0x0001 --type 0 /tmp/req >/tmp/rsp
	r=$?
	doe bind "$m" || return 1
	[ $r -eq 0 ] && [ "$(od -An -tx1 /tmp/rsp | tr -d ' ' | cut -c1-6)" = 010000 ]
}

test_raw_access_to_a_bound_mailbox_is_refused() {
	bound_all && m=$(first) || return 1
	printf '\000\000\000\000' >/tmp/req
	if doe exchange "$m" --vendor 1 --type 0 /tmp/req >/dev/null 2>/tmp/err; then
		return 1
	fi
	echo "# $(cat /tmp/err)"
	grep -q "doe unbind $m" /tmp/err
}

test_nonexistent_mailbox_is_an_error() {
	if doe discover cxl_pci.doe.999 2>/tmp/err; then return 1; fi
	echo "# $(cat /tmp/err)"
	grep -q "cxl_pci.doe.999" /tmp/err || return 1
	if doe cdat 0000:00:00.0@0x100 2>/tmp/err; then return 1; fi
	echo "# $(cat /tmp/err)"
}

test_non_root_user_is_refused() {
	bound_all && m=$(first) || return 1
	doe unbind "$m" || return 1
	su -s /bin/sh nobody -c "doe discover $m" >/dev/null 2>/tmp/err
	r=$?
	su -s /bin/sh nobody -c "doe bind $m" >/dev/null 2>>/tmp/err
	r2=$?
	doe bind "$m" || return 1
	echo "# $(head -n1 /tmp/err)"
	[ $r -ne 0 ] && [ $r2 -ne 0 ] && grep -qi "root" /tmp/err
}
