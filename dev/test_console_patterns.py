#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Host test of dev/run-tests.py's console check: one real line of each
report the debug kernel prints (strings as Linux 7.3 prints them, source
file named) must be caught, benign lines must not.

run-tests.py runs it as the test host/console-patterns; alone:
`python3 dev/test_console_patterns.py`.
"""

import importlib.util
import os
import sys

T = "[   42.123456] "  # printk time stamp (CONFIG_PRINTK_TIME)

# Bug reports: each must be a bad console line.
BAD = [
    # mm/kasan/report.c
    T + "BUG: KASAN: slab-use-after-free in fpga_image_load_release+0x3c/0x120 [fpga_image_load]",
    T + "BUG: KASAN: null-ptr-deref in cxl_doe_probe+0x52/0x2c0 [cxl_doe]",
    T + "KASAN: null-ptr-deref in range [0x0000000000000010-0x0000000000000017]",
    # mm/kmemleak.c: kmemleak's own failures (kmemleak_warn, kmemleak_stop)
    T + "kmemleak: Cannot allocate a kmemleak_object structure",
    T + "kmemleak: Memory pool empty, consider increasing CONFIG_DEBUG_KMEMLEAK_MEM_POOL_SIZE",
    T + "kmemleak: Partially freeing unknown object at 0xffff888004a1c000 (size 64)",
    T + "kmemleak: Found object by alias at 0xffff888004a1c008",
    T + "kmemleak: Kernel memory leak detector disabled",
    T + "kmemleak: Kmemleak disabled without freeing internal data. Reclaim the memory with \"echo clear > /sys/kernel/debug/kmemleak\".",
    T + "kmemleak: Cannot insert 0xffff888004a1c000 into the object search tree (overlaps existing)",
    T + "kmemleak: Not scanning unknown object at 0xffff888004a1c000",
    # kernel/sched/core.c
    T + "BUG: sleeping function called from invalid context at kernel/locking/rwsem.c:1578",
    T + "BUG: scheduling while atomic: kworker/1:2/87/0x00000002",
    # lib/debugobjects.c (WARN with "ODEBUG: ..." as its text)
    T + "ODEBUG: free active (active state 0) object: ffff888004c8a0c8 object type: work_struct hint: fpga_image_load_work+0x0/0x1e0 [fpga_image_load]",
    T + "ODEBUG: activate active (active state 0) object: ffff888003f0e2a8 object type: timer_list hint: 0x0",
    T + "ODEBUG: object 00000000a1b2c3d4 is on stack 00000000e5f6a7b8, but NOT annotated.",
    T + "ODEBUG: Out of memory. ODEBUG disabled",
    # kernel/hung_task.c
    T + "INFO: task modprobe:231 blocked for more than 30 seconds.",
    T + "INFO: task kworker/1:2:87 blocked in I/O wait for more than 30 seconds.",
    T + "INFO: task rmmod:301 is blocked on a mutex likely owned by task modprobe:300.",
    # lib/list_debug.c (CHECK_DATA_CORRUPTION's text)
    T + "list_add corruption. next->prev should be prev (ffff888004a1c010), but was ffff888004a1c050. (next=ffff888004a1c030).",
    T + "list_add corruption. prev is NULL.",
    T + "list_add double add: new=ffff888004a1c010, prev=ffff888004a1c010, next=ffff888004a1c030.",
    T + "list_del corruption, ffff888004a1c010->next is LIST_POISON1 (dead000000000100)",
    T + "list_del corruption. prev->next should be ffff888004a1c010, but was ffff888004a1c050. (prev=ffff888004a1c030)",
    # kernel/locking/lockdep.c (PROVE_RCU, PROVE_LOCKING)
    T + "WARNING: suspicious RCU usage",
    T + "drivers/cxl/cxl_doe.c:88 suspicious rcu_dereference_check() usage!",
    T + "WARNING: possible circular locking dependency detected",
    T + "WARNING: possible recursive locking detected",
    T + "WARNING: inconsistent lock state",
    T + "WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected",
    T + "WARNING: possible irq lock inversion dependency detected",
    T + "WARNING: bad unlock balance detected!",
    T + "WARNING: held lock freed!",
    T + "WARNING: lock held when returning to user space!",
    T + "WARNING: fpga-image-load/412 still has locks held!",
    T + "[ BUG: Invalid wait context ]",
    T + "INFO: trying to register non-static key.",
    T + "BUG: MAX_LOCKDEP_KEYS too low!",
    # lib/refcount.c
    T + "refcount_t: underflow; use-after-free.",
    T + "refcount_t: addition on 0; use-after-free.",
    T + "refcount_t: saturated; leaking memory.",
    # kernel/panic.c __warn(), include/asm-generic/bug.h
    T + "------------[ cut here ]------------",
    T + "WARNING: drivers/fpga/image-load/load.rs:212 at _RNvMs_NtCs4Kx1_15fpga_image_load4loadNtB4_9ImageLoad5start+0x1a4/0x2d0 [fpga_image_load], CPU#1: fpga-image-load/412",
    T + "WARNING: at cxl_doe_remove+0x44/0x90 [cxl_doe], CPU#0: rmmod/301",
    T + "---[ end trace 0000000000000000 ]---",
    # arch/x86/kernel/dumpstack.c, arch/x86/mm/fault.c, lib/bug.c
    T + "Call Trace:",
    T + "Oops: general protection fault, probably for non-canonical address 0xdffffc0000000002: 0000 [#1] SMP KASAN",
    T + "Oops: invalid opcode: 0000 [#1] SMP KASAN",
    T + "BUG: kernel NULL pointer dereference, address: 0000000000000008",
    T + "BUG: unable to handle page fault for address: ffffc90000a3f000",
    T + "kernel BUG at mm/slub.c:547!",
    T + "Kernel panic - not syncing: Fatal exception",
    # rust/kernel/lib.rs panic handler
    T + "rust_kernel: panicked at rust/kernel/sync/rwsem.rs:120:9:",
    # mm/slub.c slab_bug()
    T + "BUG kmalloc-64 (Tainted: G    B   W          ): Object already free",
    T + "BUG fpga_image_load (Not tainted): Objects remaining on __kmem_cache_shutdown()",
    # lib/ubsan.c
    T + "UBSAN: array-index-out-of-bounds in drivers/cxl/pci.c:321:5",
    # kernel/watchdog.c, kernel/rcu/tree_stall.h, kernel/workqueue.c
    T + "watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [modprobe:231]",
    T + "watchdog: CPU1: Watchdog detected hard LOCKUP on cpu 1",
    T + "rcu: INFO: rcu_sched self-detected stall on CPU",
    T + "rcu: INFO: rcu_sched detected stalls on CPUs/tasks:",
    T + "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
    T + "BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 stuck for 31s!",
]

# kmemleak's leak reports (mm/kmemleak.c kmemleak_scan()): bad, unless the
# guest's kmemleak suite ran and judged every reported object.
LEAK_REPORTS = [
    T + "kmemleak: 1 new suspected memory leaks (see /sys/kernel/debug/kmemleak)",
    T + "kmemleak: unreferenced object 0xffff888004a1c000 (size 64):",
]

# Lines a healthy debug kernel and our runner print: never bad.
BENIGN = [
    "[    0.000000] kasan: KernelAddressSanitizer initialized (generic)",
    "[    0.512345] ODEBUG: selftest passed",
    "[    0.612345] rcu: RCU lockdep checking is enabled.",
    "[    0.000000] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar",
    "[    0.000000] ... MAX_LOCK_DEPTH:          48",
    "[    2.345678] kmemleak: Kernel memory leak detector initialized (mem pool available: 15676)",
    "[    2.345679] kmemleak: Automatic memory scanning thread started",
    "[    9.876543] kmemleak: Automatic memory scanning thread ended",
    # lib/fault-inject.c with verbose=1: injected failures are not bugs
    T + "FAULT_INJECTION: forcing a failure.",
    T + "name failslab, interval 1, probability 100, space 0, times 1",
    T + "Unknown kernel command line parameters \"rflmode=test rflsel=cxl_doe\", will be passed to user space.",
    T + "cxl_pci 0000:0d:00.0: enabling device (0000 -> 0002)",
    "init: kernel 7.3.4, job test, selection cxl_doe",
    "run-tests: fpga_image_load.test_readback_4m_block_4 took 12.3 s",
    "run-tests: kmemleak| unreferenced object 0xffff888004a1c000 (size 64):  <- not ours",
    "run-tests: kmemleak|     kmalloc_trace_noprof+0x2a/0x60",
    "run-tests: kmemleak suite: 3 unreferenced objects, 0 with our code in their backtrace",
    "# size 4194304 block 4: identical",
]


def check(bad_lines):
    """Return what is wrong with bad_lines(text, leaks_judged) -> lines."""
    errors = []
    for line in BAD + LEAK_REPORTS:
        if not bad_lines(line, False):
            errors.append(f"not caught: {line!r}")
    for line in LEAK_REPORTS:
        if bad_lines(line, True):
            errors.append(f"caught although the kmemleak suite judged it: {line!r}")
    for line in BAD:
        if not bad_lines(line, True):
            errors.append(f"not caught once the kmemleak suite ran: {line!r}")
    for line in BENIGN:
        if bad_lines(line, False):
            errors.append(f"benign line caught: {line!r}")
    # A whole console at once: as many bad lines as bad samples.
    text = "\n".join(BENIGN + BAD + BENIGN) + "\n"
    if len(bad_lines(text, True)) != len(BAD):
        errors.append(f"whole console: {len(bad_lines(text, True))} bad lines, not {len(BAD)}")
    return errors


def main():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run-tests.py")
    spec = importlib.util.spec_from_file_location("run_tests", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    errors = check(mod.bad_console_lines)
    for e in errors:
        print(e)
    print(f"console patterns: {len(BAD) + len(LEAK_REPORTS)} reports, {len(BENIGN)} benign lines, "
          f"{len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
