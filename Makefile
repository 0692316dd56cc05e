# SPDX-License-Identifier: GPL-2.0
#
# Front door of the Rust FPGA image load and CXL DOE drivers.
#
#   make run    set up this machine, build, boot the QEMU guest, show the
#               drivers working
#   make test   set up, build, run every test; ends with "N passed, N failed"
#               (both configurations: the debug kernel with our drivers as
#               modules, and the kernel with them built in)
#
# Other targets: setup, kernel, tools, initramfs, shell, check, clean,
# patches, check-series;
# kernel-builtin, initramfs-builtin, shell-builtin for the second
# configuration (dev/builtin.config, in $(BUILD_DIR)/builtin/).
# Variables: BUILD_DIR (default ./build), LINUX_SRC, LINUX_TARBALL,
# EXTRA_CONFIG (a kconfig fragment merged after ours, in both
# configurations), GUEST_TIMEOUT, GUEST_BUILTIN_TIMEOUT.

BUILD_DIR ?= $(CURDIR)/build
export BUILD_DIR
export CARGO_TARGET_DIR := $(BUILD_DIR)/cargo

# User-space tools: crates of the workspace (tools/Cargo.toml) whose binaries land,
# statically linked, in $(BUILD_DIR)/bin.
TOOLS := fpga-image-load doe fpga-image-bench
HOST_TARGET := x86_64-unknown-linux-gnu
# C test programs written against our uapi headers, as any user would:
# tools/testing/selftests/rfl/<name>.c, static, into $(BUILD_DIR)/bin: as
# <name> (64-bit) and as <name>32 (32-bit, -m32, for the kernel's compat
# path; needs gcc-multilib).
C_TESTS := fpga_image_load_errno fail_nth sysfs_reads fpga_fuzz
CC := gcc
C_TEST_FLAGS := -static -O2 -Wall -Wextra -Werror -I include/uapi

.PHONY: all run test setup kernel tools initramfs shell check clean \
	kernel-builtin initramfs-builtin shell-builtin kernel-bare kernel-nounload \
	kernel-nomodules bench bench-profile \
	patches check-series

# One target at a time even under make -j: the kernel builds share one source
# tree (and its overlay), and each build uses every core already.
.NOTPARALLEL:

all: kernel tools

setup:
	@dev/setup.sh

kernel: setup
	@dev/kbuild.sh

tools: setup
	@RUSTFLAGS="-C target-feature=+crt-static" \
		cargo build --quiet --release --locked --target $(HOST_TARGET) \
		--manifest-path tools/Cargo.toml \
		$(addprefix --bin ,$(TOOLS))
	@mkdir -p $(BUILD_DIR)/bin
	@cp $(addprefix $(CARGO_TARGET_DIR)/$(HOST_TARGET)/release/,$(TOOLS)) $(BUILD_DIR)/bin/
	@$(foreach t,$(C_TESTS),$(CC) $(C_TEST_FLAGS) \
		-o $(BUILD_DIR)/bin/$(t) tools/testing/selftests/rfl/$(t).c && \
		$(CC) -m32 $(C_TEST_FLAGS) \
		-o $(BUILD_DIR)/bin/$(t)32 tools/testing/selftests/rfl/$(t).c &&) true

initramfs: kernel tools
	@dev/guest.sh initramfs

run: initramfs
	@dev/guest.sh boot run 600

shell: initramfs
	@dev/guest.sh boot shell 3600

# The second configuration: our drivers and their KUnit suites built in.
kernel-builtin: setup
	@dev/kbuild.sh builtin

initramfs-builtin: kernel-builtin tools
	@dev/guest.sh initramfs builtin

shell-builtin: initramfs-builtin
	@dev/guest.sh boot shell 3600 builtin

# The third configuration, a compile check: without DEBUG_FS, KUNIT and
# EVENTFD (dev/bare.config): the kernel crate, drivers/pci and drivers/cxl,
# not vmlinux; make test fails if they do not build.
kernel-bare: setup
	@dev/kbuild.sh bare

# Two more compile checks of the same kind: MODULE_UNLOAD=n with KUNIT=m,
# WERROR, no COMPAT and fault injection not armed (dev/nounload.config);
# MODULES=n with all of ours built in (dev/nomodules.config).
kernel-nounload: setup
	@dev/kbuild.sh nounload

kernel-nomodules: setup
	@dev/kbuild.sh nomodules

# T=<name>[,<name>...]: only the guest suites (end-to-end, KUnit, kmemleak)
# whose name contains one of the names, in both configurations; no rustfmt
# or cargo test. T=kunit.py: the run through the kernel's kunit.py.
test: initramfs initramfs-builtin kernel-bare kernel-nounload kernel-nomodules
	@dev/run-tests.py $(if $(T),--select '$(T)')

# The benchmark: our class against upstream's fw_upload, in one boot of the
# built-in kernel (no debug options); build/bench/bench.{json,md}. See
# dev/bench.sh. make test runs it once at tiny sizes (the bench suite).
bench: initramfs-builtin
	@dev/bench.sh

# Where the time goes in the measurements that missed their targets: perf in
# the same guest, build/bench/profile-<case>.txt. See dev/bench.sh.
bench-profile: initramfs-builtin
	@dev/bench.sh profile

# The patch series against Linux 7.3: $(BUILD_DIR)/patches/, a cover letter
# and one patch per entry of dev/series/ (dev/series.py). make test checks
# that it applies with git am and matches the overlay build.
patches: setup
	@dev/series.py patches

# The series built patch by patch, with the kernel's own checks at each
# (dev/check-series.sh); slow, so .ci/run runs it after make test.
check-series: setup
	@dev/check-series.sh

# Source checks that need no guest: rustfmt of our kernel Rust and tools.
check: setup
	@dev/check.sh

clean:
	rm -rf $(BUILD_DIR)
