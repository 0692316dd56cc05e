# SPDX-License-Identifier: GPL-2.0
#
# Lifetimes of the FPGA Image Load class across unregister and rmmod, with
# real processes racing them. Meant for the debug kernel: a use-after-free
# here is a KASAN report, which fails the run's console check.
#
# Sourced by the in-guest runner: each test_* function is one test case, run
# in a subshell; it passes when it returns 0.

DEV=/dev/fpga_image0
SIM=/sys/kernel/debug/fpga_image_load_sim/fpga_image0
TOOL=fpga-image-load
PARAMS=/sys/module/fpga_image_load/parameters

# fresh [class module parameters]: both modules reloaded, one idle card.
fresh() {
	rmmod fpga_image_load_sim 2>/dev/null
	rmmod fpga_image_load 2>/dev/null
	modprobe fpga_image_load "$@" && modprobe fpga_image_load_sim || return 1
	[ -c $DEV ] && [ -d $SIM ]
}

test_max_image_size_is_visible_and_read_only() {
	fresh max_image_size=1048576 || return 1
	[ "$(cat $PARAMS/max_image_size)" = 1048576 ] ||
		{ echo "# max_image_size reads '$(cat $PARAMS/max_image_size 2>&1)'"; return 1; }
	[ "$(stat -c %a $PARAMS/max_image_size)" = 444 ] ||
		{ echo "# mode $(stat -c %a $PARAMS/max_image_size)"; return 1; }
	fresh && [ "$(cat $PARAMS/max_image_size)" = 268435456 ]
}

# A process cancels in a tight loop while cards come and go and loads run:
# a cancel must never reach a driver that has unregistered or a load that
# has ended (KASAN sees the former; the loads' results show the latter).
test_cancel_hammer_across_card_reloads() {
	# (The test before ends with fresh modules: no need to reload again.)
	{ [ -c $DEV ] && [ "$(cat $PARAMS/max_image_size 2>/dev/null)" = 268435456 ]; } ||
		fresh || return 1
	head -c 65536 /dev/urandom >/tmp/img
	rm -f /tmp/stop
	(
		end=$(($(cut -d. -f1 /proc/uptime) + 60))
		while [ ! -e /tmp/stop ] && [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
			$TOOL cancel $DEV >/dev/null 2>&1
		done
	) &
	hammer=$!
	i=0 done=0 canceled=0 other=0
	while [ $i -lt 5 ]; do
		echo 4096 >$SIM/block_size
		# 16 blocks of 20 ms: long enough for a cancel to land.
		echo 20000 >$SIM/block_delay_us
		# Each load either ends whole or is canceled, and says which.
		if $TOOL write --no-wait $DEV /tmp/img >/tmp/w.err 2>&1; then
			if $TOOL wait $DEV >/tmp/w.err 2>&1; then
				cmp -s /tmp/img $SIM/image && done=$((done + 1)) ||
					other=$((other + 1))
			elif grep -q "canceled" /tmp/w.err; then
				canceled=$((canceled + 1))
			else
				other=$((other + 1))
				sed 's/^/# /' /tmp/w.err
			fi
		else
			# A cancel that lands before the write is a clean refusal.
			grep -q "canceled\|busy" /tmp/w.err ||
				{ other=$((other + 1)); sed 's/^/# /' /tmp/w.err; }
		fi
		rmmod fpga_image_load_sim || { touch /tmp/stop; wait $hammer; return 1; }
		modprobe fpga_image_load_sim || { touch /tmp/stop; wait $hammer; return 1; }
		i=$((i + 1))
	done
	touch /tmp/stop
	wait $hammer
	echo "# 5 loads under the hammer: $done whole, $canceled canceled, $other otherwise"
	[ $other -eq 0 ] && [ $canceled -gt 0 ] || return 1
	# The card still works: an uncanceled load completes and is byte-exact.
	$TOOL write $DEV /tmp/img >/dev/null && cmp /tmp/img $SIM/image
}
