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

step "CXL DOE mailboxes: auxiliary devices, bound to cxl_doe"
run modprobe cxl_doe
run ls /sys/bus/auxiliary/drivers/cxl_doe.cxl_doe_drv/
run doe list
M=$(basename "$(ls -d /sys/bus/auxiliary/devices/cxl_pci.doe.* | head -n1)")
run cat /sys/bus/auxiliary/devices/$M/protocols
run doe cdat $M

step "Hand $M to user space, use it, take it back"
run doe unbind $M
printf '$ cat /sys/bus/auxiliary/devices/%s/protocols\n' $M
cat /sys/bus/auxiliary/devices/$M/protocols || echo "(the kernel no longer uses it)"
run doe discover $M
run doe cdat $M
run doe bind $M
run doe list

step "Unload"
run rmmod fpga_image_load_sim
run rmmod fpga_image_load
run rmmod cxl_doe
