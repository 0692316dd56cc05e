# SPDX-License-Identifier: GPL-2.0
#
# The CXL DOE mailboxes end to end, against QEMU's cxl-type3 DOE responder:
# cxl_pci makes each mailbox an auxiliary device cxl_pci.doe.N, cxl_doe binds
# it, kernel users (the protocols and cdat attributes) go through its guard.
#
# Sourced by the in-guest runner: each test_* function is one test case, run
# in a subshell; it passes when it returns 0, is skipped when it returns 4.
# With our drivers built in (builtin_config, from the runner) the tests of
# module loading, unloading and autoloading skip.

. "${RFL_DIR:-/usr/share/rfl}/cxl_devices.sh"

DEVS=/sys/bus/auxiliary/devices

mailboxes() { ls -d $DEVS/cxl_pci.doe.* 2>/dev/null; }
count() { mailboxes | grep -c .; }

# settle [bound|auto|unbound]: wait until every mailbox is bound (or, with
# "unbound", none is). Bound means cxl_doe is loaded: load it, as earlier
# suites may have left it out (unless it is built in); the uevent helper's
# autoload is tested on its own. "bound" (the start of a test) first binds
# any mailbox a failed test left unbound, so that one failure does not fail
# the tests after it; "auto" waits for the driver core to bind them itself.
settle() {
	_want=${1:-bound}
	[ "$_want" = unbound ] || builtin_config || modprobe cxl_doe || return 1
	if [ "$_want" = bound ]; then
		for _m in $(mailboxes); do
			[ -e "$_m/driver" ] || echo "$(basename "$_m")" >$DRV/bind 2>/dev/null
		done
	fi
	# (sh variables are global: the counter must not be the callers' $i.)
	_tries=0
	while [ $_tries -lt 100 ]; do
		_bound=0
		for _m in $(mailboxes); do
			[ -e "$_m/driver" ] && _bound=$((_bound + 1))
		done
		case "$_want" in
		bound | auto) [ $_bound -eq "$(count)" ] && [ $_bound -gt 0 ] && return 0 ;;
		unbound) [ $_bound -eq 0 ] && return 0 ;;
		esac
		_tries=$((_tries + 1))
		sleep 0.1
	done
	echo "# mailboxes did not settle $_want: $(ls -l $DEVS/ 2>&1 | grep doe)"
	return 1
}

# cdat_ok FILE: a complete CDAT table: length as the header says, checksum 0.
cdat_ok() {
	size=$(wc -c <"$1")
	len=$(od -An -tu4 -N4 "$1" | tr -d ' ')
	sum=$(od -An -tu1 -v "$1" |
		awk '{ for (i = 1; i <= NF; i++) s += $i } END { print s % 256 }')
	[ "$size" -ge 16 ] && [ "$size" = "$len" ] && [ "$sum" = 0 ]
}

test_cxl_doe_autoloads_for_the_devices() {
	builtin_config && { echo "# built in: nothing to autoload"; return 4; }
	rmmod cxl_doe 2>/dev/null
	rmmod cxl_pci || return 1
	modprobe cxl_pci || return 1
	# Nothing but the devices' uevents (MODALIAS=auxiliary:cxl_pci.doe) loads it.
	i=0
	while ! grep -q "^cxl_doe " /proc/modules; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "# cxl_doe was not autoloaded"; return 1; }
		sleep 0.1
	done
	settle auto
}

test_every_device_has_a_mailbox_bound() {
	settle || return 1
	[ "$(count)" -eq "$(cxl_devices)" ] || return 1
	for m in $(mailboxes); do
		n=$(basename "$m")
		[ "$(basename "$(readlink "$m/driver")")" = cxl_doe.cxl_doe_drv ] || return 1
		[ -L "$DRV/$n" ] || return 1
		echo "# $n: offset $(cat "$m/offset")," \
			"parent $(basename "$(dirname "$(readlink -f "$m")")")," \
			"CDAT $(cdat_kind "$n")"
	done
}

test_protocols_discovered_at_bind() {
	settle || return 1
	for m in $(mailboxes); do
		p=$(cat "$m/protocols" | tr '\n' ' ')
		echo "# $(basename "$m"): $p"
		[ "$p" = "0001:00 1e98:02 " ] || return 1
	done
}

# A bound mailbox with a good table serves it whole; the multi-page one is
# the very table QEMU was given.
test_cdat_is_complete_and_valid() {
	settle || return 1
	for n in $(mailboxes_of good); do
		m=$DEVS/$n
		[ "$(stat -c %a "$m/cdat")" = 400 ] ||
			{ echo "# mode $(stat -c %a "$m/cdat")"; return 1; }
		cat "$m/cdat" >/tmp/cdat || return 1
		echo "# $n ($(cdat_kind "$n")): CDAT $(wc -c </tmp/cdat) bytes"
		cdat_ok /tmp/cdat || return 1
	done
	n=$(mailboxes_of big)
	[ -n "$n" ] && [ "$(wc -c <$DEVS/$n/cdat)" -gt 4096 ] && cmp $DEVS/$n/cdat $CDAT_DIR/big.bin
}

# A device whose table lies about its length or checksum: the mailbox binds
# (the protocols are fine), the cdat file fails with EBADMSG and not a byte,
# and each bind logs what was wrong, naming the device.
test_malformed_cdat_is_refused() {
	settle || return 1
	for kind in $MALFORMED; do
		n=$(mailboxes_of $kind)
		[ -n "$n" ] || { echo "# no device with a $kind table"; return 1; }
		for round in bound rebound; do
			# (Only the line of a bind in this test is sure to be in the
			# log: the first may have left the ring buffer.)
			before=-1
			if [ $round = rebound ]; then
				before=$(dmesg | grep -c "$n: malformed CDAT")
				echo "$n" >$DRV/unbind && echo "$n" >$DRV/bind || return 1
			fi
			if cat "$DEVS/$n/cdat" >/tmp/cdat 2>/tmp/err; then
				echo "# $kind ($n): the table was served"
				return 1
			fi
			grep -q "Bad message" /tmp/err && [ ! -s /tmp/cdat ] ||
				{ echo "# $kind ($n): $(cat /tmp/err)," \
					"$(wc -c </tmp/cdat) bytes"; return 1; }
			[ "$(cat "$DEVS/$n/protocols" | tr '\n' ' ')" = "0001:00 1e98:02 " ] ||
				return 1
			[ "$(dmesg | grep -c "$n: malformed CDAT")" -gt "$before" ] ||
				{ echo "# $kind ($n): no log line"; return 1; }
		done
		echo "# $kind ($n):" "$(dmesg | grep "$n: malformed CDAT" | tail -n1 |
			sed 's/.*malformed/malformed/')"
	done
}

test_unbind_one_leaves_the_other_working() {
	settle || return 1
	a=$(basename "$(mailboxes | head -n1)")
	b=$(basename "$(mailboxes | tail -n1)")
	echo "$a" >$DRV/unbind || return 1
	[ ! -e "$DEVS/$a/driver" ] || return 1
	# The kernel no longer uses it: its users get ENXIO.
	if cat "$DEVS/$a/protocols" 2>/tmp/err; then return 1; fi
	grep -q "No such device or address" /tmp/err || { cat /tmp/err; return 1; }
	if cat "$DEVS/$a/cdat" >/dev/null 2>/tmp/err; then return 1; fi
	grep -q "No such device or address" /tmp/err || { cat /tmp/err; return 1; }
	[ "$(cat "$DEVS/$b/protocols" | tr '\n' ' ')" = "0001:00 1e98:02 " ] || return 1
	# Rebinding restores it.
	echo "$a" >$DRV/bind || return 1
	[ "$(cat "$DEVS/$a/protocols" | tr '\n' ' ')" = "0001:00 1e98:02 " ]
}

test_unbind_during_1000_reads_of_a_multi_page_cdat() {
	settle || return 1
	# Each read of the 4144-byte table is two read(2)s of the attribute:
	# an unbind or bind between them must not splice two bindings' tables,
	# nor serve a part of one.
	n=$(mailboxes_of big)
	m=$DEVS/$n
	cp $CDAT_DIR/big.bin /tmp/ref || return 1
	t0=$(date +%s)
	# 10 threads x 100 whole reads, 50 ms apart (sysfs_reads, a test
	# program) ...
	sysfs_reads "$m/cdat" /tmp/ref 10 100 50000 >/tmp/reads.out &
	r=$!
	# ... while the mailbox is handed to user space and back, repeatedly,
	# staying bound a while each time (a bind reads the table: 173
	# exchanges, about 2 s under TCG).
	cycles=0 failed=0
	while kill -0 $r 2>/dev/null; do
		if echo "$n" >$DRV/unbind && echo "$n" >$DRV/bind; then
			cycles=$((cycles + 1))
			sleep 0.5
		else
			failed=1
			break
		fi
	done
	wait $r || return 1
	[ $failed -eq 0 ] || return 1
	set -- $(head -n1 /tmp/reads.out)
	echo "# 1000 reads in $(($(date +%s) - t0)) s during $cycles unbind/bind cycles:" \
		"$1 whole, $2 errors ($(tail -n +2 /tmp/reads.out | tr '\n' ' ')), $3 torn"
	# The only error is that of an unbound driver.
	[ $(($1 + $2 + $3)) -eq 1000 ] && [ "$3" -eq 0 ] && [ "$1" -gt 0 ] && [ "$2" -gt 0 ] &&
		[ "$cycles" -gt 1 ] &&
		! tail -n +2 /tmp/reads.out | grep -qv " ENXIO$"
}

test_10_unbind_bind_cycles() {
	settle || return 1
	n=$(mailboxes_of qemu | head -n1)
	i=0
	while [ $i -lt 10 ]; do
		echo "$n" >$DRV/unbind && echo "$n" >$DRV/bind ||
			{ echo "# cycle $i failed"; return 1; }
		i=$((i + 1))
	done
	[ -e "$DEVS/$n/driver" ] && cat "$DEVS/$n/cdat" >/tmp/cdat && cdat_ok /tmp/cdat
}

test_rmmod_modprobe_cxl_doe() {
	builtin_config && { echo "# built in: no module to unload"; return 4; }
	settle || return 1
	rmmod cxl_doe || return 1
	# The devices stay, unbound: the kernel leaves the mailboxes alone.
	[ "$(count)" -eq "$(cxl_devices)" ] && settle unbound || return 1
	modprobe cxl_doe && settle auto || return 1
	[ "$(cat "$(mailboxes | head -n1)/protocols" | tr '\n' ' ')" = "0001:00 1e98:02 " ]
}

test_load_order_cxl_pci_then_cxl_doe() {
	# Without autoload, cxl_pci comes up alone: devices appear unbound and
	# their users see ENXIO; cxl_doe loaded later binds them.
	builtin_config &&
		{ echo "# built in: the init order is fixed, no modules to load"; return 4; }
	rmmod cxl_doe 2>/dev/null
	rmmod cxl_pci || return 1
	helper=$(cat /proc/sys/kernel/hotplug)
	echo >/proc/sys/kernel/hotplug
	modprobe cxl_pci
	r=$?
	echo "$helper" >/proc/sys/kernel/hotplug
	[ $r -eq 0 ] && [ "$(count)" -eq "$(cxl_devices)" ] && settle unbound || return 1
	if cat "$(mailboxes | head -n1)/protocols" 2>/tmp/err; then return 1; fi
	grep -q "No such device or address" /tmp/err || { cat /tmp/err; return 1; }
	modprobe cxl_doe && settle auto
}

test_load_order_cxl_doe_then_cxl_pci() {
	# cxl_doe first: modprobe brings cxl_pci (whose API it uses) along, and
	# the driver binds the devices as they appear.
	builtin_config &&
		{ echo "# built in: the init order is fixed, no modules to load"; return 4; }
	rmmod cxl_doe 2>/dev/null
	rmmod cxl_pci || return 1
	[ "$(count)" -eq 0 ] || return 1
	modprobe cxl_doe && settle auto && [ "$(count)" -eq "$(cxl_devices)" ]
}

test_unbinding_cxl_pci_removes_its_mailboxes() {
	settle || return 1
	m=$(mailboxes | head -n1)
	pci=$(basename "$(dirname "$(readlink -f "$m")")")
	echo "$pci" >/sys/bus/pci/drivers/cxl_pci/unbind || return 1
	[ ! -e "$m" ] && [ "$(count)" -eq $(($(cxl_devices) - 1)) ] || return 1
	echo "$pci" >/sys/bus/pci/drivers/cxl_pci/bind || return 1
	settle auto && [ "$(count)" -eq "$(cxl_devices)" ]
}
