#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The main job, shown on the console by `make run`.
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "FPGA image load: a simulated card"
run modprobe fpga_image_load_sim
run ls -l /dev/fpga_image0
run cat /sys/class/fpga_image_load/fpga_image0/status
SIM=/sys/kernel/debug/fpga_image_load_sim/fpga_image0
echo 4096 >$SIM/block_size
echo 500 >$SIM/block_delay_us
echo 1500 >$SIM/program_ms

step "Upload a 4 MiB image, with progress"
head -c 4194304 /dev/urandom >/tmp/image.bin
run fpga-image-load write /dev/fpga_image0 /tmp/image.bin
run fpga-image-load status fpga_image0
run fpga-image-load status --json 0
printf '$ cmp /tmp/image.bin %s/image\n' $SIM
cmp /tmp/image.bin $SIM/image && echo "the card received the image byte for byte"

step "A failing card: an error injected while programming"
echo programming:wearout >$SIM/inject_error
run fpga-image-load write 0 /tmp/image.bin
run cat /sys/class/fpga_image_load/fpga_image0/error
echo none >$SIM/inject_error

step "CXL devices and their DOE mailboxes"
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/class")" = 0x050210 ] || continue
	echo "$(basename "$d"): driver $(basename "$(readlink "$d/driver")")," \
		"DOE features: $(ls "$d/doe_features" | tr '\n' ' ')"
done

step "Unload"
run rmmod fpga_image_load_sim
run rmmod fpga_image_load
