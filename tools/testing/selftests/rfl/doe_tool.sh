# SPDX-License-Identifier: GPL-2.0
#
# The doe tool against QEMU's DOE responder: the same answers through the
# kernel (bound mailbox, driver attributes) and through the registers
# (unbound mailbox, config space), and clear refusals.
#
# Sourced by the in-guest runner: each test_* function is one test case.
# The race of binds and user exchanges takes 300 rounds of a bind each:
# rfl-timeout: 600

. "${RFL_DIR:-/usr/share/rfl}/cxl_devices.sh"

# first: the first mailbox of a device with QEMU's own CDAT.
first() { mailboxes_of qemu | head -n1; }

test_list_shows_every_mailbox() {
	bound_all || return 1
	doe list || return 1
	[ "$(doe list --json | grep -o '"cxl_pci.doe.[0-9]*"' | sort -u | wc -l)" \
		-eq "$(cxl_devices)" ]
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

# Through the registers, the tool reads the multi-page table whole, and
# refuses each malformed one with what is wrong with it, as the kernel does.
test_cdat_from_the_registers_checked_as_the_kernel_does() {
	bound_all || return 1
	m=$(mailboxes_of big)
	doe unbind "$m" || return 1
	doe cdat --raw "$m" >/tmp/regs.bin
	r=$?
	doe bind "$m" || return 1
	echo "# big ($m): $(wc -c </tmp/regs.bin) bytes"
	[ $r -eq 0 ] && cmp /tmp/regs.bin $CDAT_DIR/big.bin || return 1
	for kind in $MALFORMED; do
		m=$(mailboxes_of $kind)
		doe unbind "$m" || return 1
		doe cdat --raw "$m" >/tmp/regs.bin 2>/tmp/err
		r=$?
		doe bind "$m" || return 1
		echo "# $kind ($m): exit $r: $(cat /tmp/err)"
		[ $r -ne 0 ] && [ ! -s /tmp/regs.bin ] && grep -q "CDAT" /tmp/err || return 1
	done
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
	doe cdat 0000:00:00.0@0x100 2>/tmp/err
	r=$?
	echo "# exit $r: $(cat /tmp/err)"
	# An error (1) that names the mailbox, not a crash (101) or a usage error (2).
	[ $r -eq 1 ] && grep -q "no DOE mailbox at offset 0x100 of 0000:00:00.0" /tmp/err
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

# endpoint_of MAILBOX: the CXL core's endpoint port of the mailbox's device.
endpoint_of() {
	mem=$(memdev_of "$1")
	for e in /sys/bus/cxl/devices/endpoint*; do
		[ "$e/uport" -ef "/sys/bus/cxl/devices/$mem" ] && { echo "${e##*/}"; return 0; }
	done
	return 1
}

# reprobe MAILBOX: the CXL core probes the memory device again, with a new
# endpoint port, whose probe reads the CDAT through pci_doe().
reprobe() {
	mem=$(memdev_of "$1")
	echo "$mem" >/sys/bus/cxl/drivers/cxl_mem/unbind || return 1
	# Removing the endpoint schedules a detach of the memory device: let it
	# run before binding again, and give a bind that lost the race another go
	# (for up to 3 s).
	for _t in $(seq 30); do
		sleep 0.1
		[ -e "/sys/bus/cxl/devices/$mem/driver" ] ||
			echo "$mem" >/sys/bus/cxl/drivers/cxl_mem/bind 2>/dev/null
		endpoint_of "$1" >/dev/null && return 0
	done
	echo "# $mem: no endpoint 3 s after the unbind"
	return 1
}

DOE_TROUBLE='busy detected|Abort failed|ABORT timed out|failed to reset mailbox'

test_cxl_core_cdat_is_ours_byte_for_byte() {
	bound_all && m=$(first) || return 1
	e=$(endpoint_of "$m") || { echo "# no endpoint for $m"; return 1; }
	echo "# $m: $e, CDAT $(wc -c </sys/bus/cxl/devices/$e/CDAT) bytes"
	cmp "/sys/bus/auxiliary/devices/$m/cdat" "/sys/bus/cxl/devices/$e/CDAT"
}

test_kernel_exchanges_refused_while_user_space_owns_the_mailbox() {
	bound_all && m=$(first) || return 1
	endpoint_of "$m" >/dev/null || { echo "# no endpoint for $m"; return 1; }
	cp "/sys/bus/auxiliary/devices/$m/cdat" /tmp/ref || return 1
	before=$(dmesg | grep -cE "$DOE_TROUBLE")
	doe unbind "$m" || return 1
	# User space reads the CDAT through the registers, over and over ...
	(
		ok=0
		for i in $(seq 10); do
			doe cdat --raw "$m" >/tmp/user.bin && cmp -s /tmp/user.bin /tmp/ref &&
				ok=$((ok + 1))
		done
		echo $ok >/tmp/user.ok
	) &
	u=$!
	# ... while the CXL core probes the device again and again, reading the
	# CDAT through pci_doe(), which must refuse without touching the mailbox.
	refused=0 probed=0
	for i in 1 2 3 4; do
		reprobe "$m" || break
		probed=$((probed + 1))
		# (The file's size is always 0: read it.)
		n=$(wc -c <"/sys/bus/cxl/devices/$(endpoint_of "$m")/CDAT")
		[ "$n" -eq 0 ] && refused=$((refused + 1))
	done
	wait $u
	trouble=$(($(dmesg | grep -cE "$DOE_TROUBLE") - before))
	doe bind "$m" || return 1
	# Back with the kernel: its own exchange works again.
	reprobe "$m" || return 1
	echo "# user space: $(cat /tmp/user.ok) of 10 CDAT reads whole;" \
		"kernel: $refused of $probed probes refused;" \
		"$trouble collisions or aborts in the log"
	[ "$(cat /tmp/user.ok)" -eq 10 ] && [ $probed -ge 3 ] && [ $refused -eq $probed ] &&
		[ $trouble -eq 0 ] && cmp "/sys/bus/cxl/devices/$(endpoint_of "$m")/CDAT" /tmp/ref
}

# A mailbox that is unbound only because nothing ever bound it (here:
# cxl_pci's devices come back with the bus's autoprobe off) is still the
# kernel's: the CXL core may use it. Its owner says so, and the tool leaves
# its registers alone; a bind and an unbind hand it to user space.
test_a_mailbox_never_handed_over_is_left_alone() {
	bound_all && m=$(first) || return 1
	[ "$(cat "$AUX_DEVS/$m/owner")" = kernel ] || return 1
	pci=$(basename "$(dirname "$(readlink -f "$AUX_DEVS/$m")")")
	echo 0 >/sys/bus/auxiliary/drivers_autoprobe || return 1
	echo "$pci" >/sys/bus/pci/drivers/cxl_pci/unbind &&
		echo "$pci" >/sys/bus/pci/drivers/cxl_pci/bind
	r=$?
	echo 1 >/sys/bus/auxiliary/drivers_autoprobe
	[ $r -eq 0 ] || return 1
	n=$(basename "$(ls -d /sys/bus/pci/devices/$pci/cxl_pci.doe.* | head -n1)")
	[ -e "$AUX_DEVS/$n/driver" ] && { echo "# $n bound with autoprobe off"; return 1; }
	owner=$(cat "$AUX_DEVS/$n/owner")
	doe discover "$n" >/dev/null 2>/tmp/err
	r=$?
	echo "# $n, never bound: owner $owner; doe discover: $(cat /tmp/err)"
	doe bind "$n" && doe unbind "$n" || return 1
	handed=$(cat "$AUX_DEVS/$n/owner")
	doe discover "$n" >/dev/null
	r2=$?
	doe bind "$n" || return 1
	echo "# after a bind and an unbind: owner $handed, doe discover exit $r2;" \
		"bound: $(cat "$AUX_DEVS/$n/owner")"
	[ "$owner" = kernel ] && [ $r -ne 0 ] && grep -q 'kernel still owns it' /tmp/err &&
		[ "$handed" = user ] && [ $r2 -eq 0 ] &&
		[ "$(cat "$AUX_DEVS/$n/owner")" = kernel ]
}

# Unloading cxl_doe is not a request to give mailboxes away: every mailbox,
# the bound ones and one handed over before, is the kernel's afterwards, and
# the CXL core reads the CDAT through it again.
test_rmmod_cxl_doe_leaves_every_mailbox_with_the_kernel() {
	builtin_config && { echo "# built in: no module to unload"; return 4; }
	bound_all && m=$(first) || return 1
	cp "$AUX_DEVS/$m/cdat" /tmp/ref || return 1
	doe unbind "$m" || return 1
	[ "$(cat "$AUX_DEVS/$m/owner")" = user ] || return 1
	rmmod cxl_doe || return 1
	users=$(cat $AUX_DEVS/cxl_pci.doe.*/owner | grep -c user)
	total=$(ls -d $AUX_DEVS/cxl_pci.doe.* | grep -c .)
	reprobe "$m" && e=$(endpoint_of "$m") || return 1
	bytes=$(wc -c <"/sys/bus/cxl/devices/$e/CDAT")
	cmp -s "/sys/bus/cxl/devices/$e/CDAT" /tmp/ref
	same=$?
	bound_all || return 1
	echo "# after rmmod: $users of $total mailboxes user space's;" \
		"$e CDAT $bytes bytes"
	[ "$users" -eq 0 ] && [ "$total" -gt 0 ] && [ $same -eq 0 ]
}

# centiseconds: the uptime in hundredths of a second (busybox date has no %N).
centiseconds() {
	read -r _up _ </proc/uptime
	_cs=${_up#*.}
	_cs=${_cs#0}
	echo $((${_up%.*} * 100 + ${_cs:-0}))
}

# held: wait (up to 5 s) for the command of a doe hold to say it runs.
held() {
	for _t in $(seq 50); do
		[ -e /tmp/held ] && return 0
		sleep 0.1
	done
	echo "# the hold was not taken"
	return 1
}

# A script run under doe hold keeps the mailbox through all its steps, and
# the doe commands it runs use its hold rather than wait for it.
test_hold_runs_a_script_of_exchanges() {
	bound_all && m=$(first) || return 1
	doe discover "$m" >/tmp/ref.p && cp "$AUX_DEVS/$m/cdat" /tmp/ref.c || return 1
	doe unbind "$m" || return 1
	t0=$(centiseconds)
	doe hold "$m" -- sh -c "doe discover $m >/tmp/p && doe cdat --raw $m >/tmp/c"
	r=$?
	took=$(($(centiseconds) - t0))
	doe bind "$m" || return 1
	echo "# doe hold -- discover and cdat: exit $r in $took cs"
	[ $r -eq 0 ] && [ $took -lt 800 ] && cmp /tmp/p /tmp/ref.p && cmp /tmp/c /tmp/ref.c
}

# A process that holds a handed-over mailbox keeps it: a bind waits for it
# to let go, and fails with EBUSY if it holds on for more than 10 s.
test_bind_waits_for_the_process_that_holds_the_mailbox() {
	bound_all && m=$(first) || return 1
	doe unbind "$m" || return 1
	rm -f /tmp/held
	doe hold "$m" -- sh -c 'touch /tmp/held; sleep 3' &
	h=$!
	held || { kill $h; bound_all; return 1; }
	t0=$(centiseconds)
	echo "$m" >$DRV/bind
	r=$?
	waited=$(($(centiseconds) - t0))
	wait $h
	hr=$?
	# Held for longer than a bind waits.
	doe unbind "$m" || return 1
	rm -f /tmp/held
	doe hold "$m" -- sh -c 'touch /tmp/held; sleep 13' &
	h=$!
	held || { kill $h; bound_all; return 1; }
	echo "$m" >$DRV/bind 2>/tmp/err
	r2=$?
	owner=$(cat "$AUX_DEVS/$m/owner")
	wait $h
	bound_all || return 1
	echo "# bind waited $waited cs for a 3 s hold (exit $r, holder $hr);" \
		"against a 13 s hold: exit $r2, $(cat /tmp/err), owner $owner;" \
		"$(dmesg | grep "$m: process .* holds" | tail -n1 | sed 's/.*: process/process/')"
	[ $r -eq 0 ] && [ $hr -eq 0 ] && [ $waited -ge 150 ] &&
		[ $r2 -ne 0 ] && grep -q "busy" /tmp/err && [ "$owner" = user ]
}

# Two tool processes on one mailbox take turns: every exchange of both is
# whole and right, none collides.
test_two_tool_processes_take_turns() {
	bound_all && m=$(first) || return 1
	doe discover "$m" >/tmp/ref || return 1
	doe unbind "$m" || return 1
	before=$(dmesg | grep -cE "$DOE_TROUBLE")
	for p in a b; do
		(
			ok=0
			for i in $(seq 25); do
				doe discover "$m" >/tmp/$p.out 2>>/tmp/$p.err &&
					cmp -s /tmp/$p.out /tmp/ref && ok=$((ok + 1))
			done
			echo $ok >/tmp/$p.ok
		) &
	done
	wait
	trouble=$(($(dmesg | grep -cE "$DOE_TROUBLE") - before))
	doe bind "$m" || return 1
	echo "# $(cat /tmp/a.ok) + $(cat /tmp/b.ok) of 50 discoveries right;" \
		"$trouble collisions in the log; $(sort -u /tmp/a.err /tmp/b.err | head -n1)"
	[ "$(cat /tmp/a.ok)" -eq 25 ] && [ "$(cat /tmp/b.ok)" -eq 25 ] && [ $trouble -eq 0 ]
}

# The hand-over both ways at once: one process binds and unbinds a mailbox,
# 300 times, while another runs discovery through its registers whenever
# user space has it. Neither ever sees the other's traffic: every answer the
# tool gets is right, every bind discovers the right protocols, the tool
# fails only by finding the kernel in charge before it wrote anything (or,
# having seen it bound, by finding its attribute gone), and
# the log has no collision, abort or dead mailbox.
test_binds_and_user_exchanges_race_300_rounds() {
	bound_all && m=$(first) || return 1
	ref=$(cat "$AUX_DEVS/$m/protocols" | tr '\n' ' ')
	doe discover "$m" >/tmp/ref || return 1
	before=$(dmesg | grep -cE "$DOE_TROUBLE|DEAD|dead")
	rm -f /tmp/stop /tmp/race.err
	REFUSED="bound to|kernel still owns|kernel owns the mailbox now"
	REFUSED="$REFUSED|mailbox unavailable \(unbound\)"
	(
		ok=0 wrong=0 refused=0
		while [ ! -e /tmp/stop ]; do
			if doe discover "$m" >/tmp/race.out 2>/tmp/race.e1; then
				if cmp -s /tmp/race.out /tmp/ref; then
					ok=$((ok + 1))
				else
					wrong=$((wrong + 1))
				fi
			elif grep -qE "$REFUSED" /tmp/race.e1; then
				refused=$((refused + 1))
			else
				wrong=$((wrong + 1))
				cat /tmp/race.e1 >>/tmp/race.err
			fi
		done
		echo "$ok $wrong $refused" >/tmp/race.user
	) &
	u=$!
	rounds=0 bad=0
	while [ $rounds -lt 300 ]; do
		echo "$m" >$DRV/unbind || { bad=$((bad + 1)); break; }
		sleep 0.1
		echo "$m" >$DRV/bind || { bad=$((bad + 1)); break; }
		[ "$(cat "$AUX_DEVS/$m/protocols" | tr '\n' ' ')" = "$ref" ] || bad=$((bad + 1))
		rounds=$((rounds + 1))
	done
	touch /tmp/stop
	wait $u
	set -- $(cat /tmp/race.user)
	trouble=$(($(dmesg | grep -cE "$DOE_TROUBLE|DEAD|dead") - before))
	bound_all || return 1
	echo "# $rounds rounds, $bad wrong binds; user space: $1 right, $2 wrong," \
		"$3 refused before writing; $trouble collisions in the log;" \
		"$(head -n1 /tmp/race.err 2>/dev/null)"
	[ $rounds -eq 300 ] && [ $bad -eq 0 ] && [ "$1" -gt 0 ] && [ "$2" -eq 0 ] &&
		[ $trouble -eq 0 ]
}
