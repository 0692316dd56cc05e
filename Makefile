# SPDX-License-Identifier: GPL-2.0
#
# Front door of the Rust FPGA image load and CXL DOE drivers.
#
#   make run    set up this machine, build, boot the QEMU guest, show the
#               drivers working
#   make test   set up, build, run every test; ends with "N passed, N failed"
#
# Other targets: setup, kernel, tools, initramfs, shell, check, clean.
# Variables: BUILD_DIR (default ./build), LINUX_SRC, LINUX_TARBALL,
# EXTRA_CONFIG (a kconfig fragment merged after ours), GUEST_TIMEOUT.

BUILD_DIR ?= $(CURDIR)/build
export BUILD_DIR
export CARGO_TARGET_DIR := $(BUILD_DIR)/cargo

# User-space tools: crates of the workspace (Cargo.toml) whose binaries land,
# statically linked, in $(BUILD_DIR)/bin.
TOOLS := fpga-image-load doe
HOST_TARGET := x86_64-unknown-linux-gnu
# C test programs written against our uapi headers, as any user would:
# tools/testing/selftests/rfl/<name>.c, static, into $(BUILD_DIR)/bin.
C_TESTS := fpga_image_load_errno
CC := gcc

.PHONY: all run test setup kernel tools initramfs shell check clean

all: kernel tools

setup:
	@dev/setup.sh

kernel: setup
	@dev/kbuild.sh

tools: setup
	@RUSTFLAGS="-C target-feature=+crt-static" \
		cargo build --quiet --release --locked --target $(HOST_TARGET) \
		$(addprefix --bin ,$(TOOLS))
	@mkdir -p $(BUILD_DIR)/bin
	@cp $(addprefix $(CARGO_TARGET_DIR)/$(HOST_TARGET)/release/,$(TOOLS)) $(BUILD_DIR)/bin/
	@$(foreach t,$(C_TESTS),$(CC) -static -O2 -Wall -Wextra -Werror -I include/uapi \
		-o $(BUILD_DIR)/bin/$(t) tools/testing/selftests/rfl/$(t).c &&) true

initramfs: kernel tools
	@dev/guest.sh initramfs

run: initramfs
	@dev/guest.sh boot run 600

shell: initramfs
	@dev/guest.sh boot shell 3600

test: initramfs
	@dev/run-tests.py

# Source checks that need no guest: rustfmt of our kernel Rust and tools.
check: setup
	@dev/check.sh

clean:
	rm -rf $(BUILD_DIR)
