# SPDX-License-Identifier: GPL-2.0
#
# Debian's trinity, a system call fuzzer none of us wrote, pointed at our
# files with its victim-path option (-V): the card's device node, then the
# card's debugfs directory. Each run is bounded (-N calls, and a time limit)
# and limited to the calls that reach a file's operations; its children
# (-C) share the files trinity opened from the victim path. Passes when
# trinity held the victim open, ran its calls and exited on its own, and the
# card then loads an image; the runner's console check fails the run on any
# splat, its time limit on a hang. trinity prints the errno of each call it
# made (--stats).
#
# Under TCG and the debug kernel trinity makes about 50 calls a second.
#
# Sourced by the in-guest runner: each test_* function is one test case.
# rfl-timeout: 400

SIM=fpga_image_load_sim
DBG=/sys/kernel/debug/$SIM/fpga_image0

# The calls that reach a file's operations, and those that make a
# descriptor to reach them through.
CALLS="ioctl read write pread64 pwrite64 readv writev poll lseek mmap
openat close dup"
# The device node has no read, write or mmap (nor seek): those calls stop in
# the VFS before reaching us, so on the node trinity spends its calls on the
# operations it has; poll too is left out there, as its random timeouts
# only wait (poll has its own tests, in fpga_image_load.sh). fcntl is left
# out of both: none of our files has a lock or fasync method, so it reaches
# only VFS code, and F_SETLKW can park a child on a lock its sibling holds.
NODE_CALLS="ioctl openat close dup"

# trinity_on PATH N CALLS: trinity's bounded run of N calls among CALLS on
# the victim PATH, its output in /tmp/trinity.out; fails if it did not end on
# its own.
trinity_on() {
	_args=
	for _c in $3; do _args="$_args -c $_c"; done
	mkdir -p /tmp/trinity && cd /tmp/trinity || return 1
	# --dangerous: we are root, in a throwaway guest. Every fd provider
	# but the victim's files (which trinity 1.9 calls "pseudo") is off:
	# every descriptor trinity calls on is one of ours.
	# --clowntown skips the 10 s countdown trinity gives root.
	# The time limit only catches a trinity that does not end: with the
	# three debug guests of make test sharing two cores, its calls run
	# several times slower than in a guest alone.
	_fds=bpf,drm,epoll,eventfd,fanotify,inotify,memfd,perf,pipes,sockets
	_fds=$_fds,testfile,timerfd,userfaultfd
	timeout -s KILL 360 trinity --dangerous --clowntown -l off -C 2 -N "$2" \
		-s "$(date +%s)" -V "$1" $_args \
		--disable-fds="$_fds" \
		--stats >/tmp/trinity.out 2>&1 &
	_t=$!
	# That trinity has the victim open: the most descriptors of it that
	# its processes held at once, sampled every 2 s.
	_open=0
	while kill -0 $_t 2>/dev/null; do
		sleep 2
		_o=$(ls -l /proc/[0-9]*/fd 2>/dev/null | grep -c " -> $1")
		[ "$_o" -le $_open ] || _open=$_o
	done
	wait $_t
	_r=$?
	cd / || return 1
	grep 'Enabled .* fd providers\|Added .* filenames' /tmp/trinity.out | sed 's/^/# /'
	# The statistics: each call, how often, and each errno it got.
	awk '/^(32|64)bit:$/ { p = 1 } p && NF { print "# " $0 }' /tmp/trinity.out
	[ $_r -ne 137 ] || { echo "# trinity on $1 did not end in 360 s"; return 1; }
	_n=$(grep -o 'attempted:[0-9]*' /tmp/trinity.out |
		awk -F: '{ n += $2 } END { print n + 0 }')
	echo "# trinity on $1: exit $_r, $_n calls;" \
		"its processes held up to $_open descriptors of the victim"
	[ $_r -eq 0 ] || return 1
	[ "$_open" -gt 0 ] || { echo "# trinity did not open the victim"; return 1; }
	[ "$_n" -ge "$2" ] || { echo "# trinity made $_n calls, not $2"; return 1; }
}

# loads: the card loads an image, every byte.
loads() {
	head -c 65536 /dev/urandom >/tmp/img
	fpga-image-load write /dev/fpga_image0 /tmp/img >/dev/null ||
		{ echo "# the load after trinity failed"; return 1; }
	cmp /tmp/img $DBG/image || { echo "# the card got other bytes"; return 1; }
}

# fresh_card: the card's module loaded again: default knobs, idle.
fresh_card() {
	rmmod $SIM 2>/dev/null
	modprobe $SIM || { echo "# modprobe $SIM failed"; return 1; }
}

test_trinity_on_the_device_node() {
	builtin_config && { echo "# built in: no module to reload"; return 4; }
	fresh_card && trinity_on /dev/fpga_image0 500 "$NODE_CALLS" || return 1
	fresh_card && loads
}

test_trinity_on_the_cards_debugfs_knobs() {
	builtin_config && { echo "# built in: no module to reload"; return 4; }
	fresh_card && trinity_on /sys/kernel/debug/$SIM 1000 "$CALLS" || return 1
	fresh_card && loads
}
