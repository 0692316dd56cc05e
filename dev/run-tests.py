#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run every test of the project and end with 'N passed, N failed'.

  1. host: rustfmt of our Rust, `cargo test` of the user-space tools (one
     result per test), and the console check's own patterns
     (host/console-patterns, dev/test_console_patterns.py);
  2. guest: boot the kernel with rflmode=test; the guest writes one KTAP
     document (our KUnit suites, the end-to-end suites, then kmemleak) to its
     second serial port, which is parsed with the kernel's own
     `tools/testing/kunit/kunit.py parse`. A run of every suite boots three
     guests of the debug kernel at once (--shards, GUEST_SHARDS), each with
     its share of the suites (the second column of dev/guest/suites; the
     KUnit suites go to the first) and its own kmemleak suite, their logs in
     $BUILD_DIR/guest/shardK/ and their own results named guest/shardK/...;
     the second configuration's guest runs at the same time;
  3. guest health: the console must show no panic, oops, BUG, WARN,
     lockdep, KASAN, kmemleak, debug-objects, list-corruption, refcount or
     hung-task report, and the guest must finish in time; a guest that does
     not reach /init in GUEST_BOOT_LIMIT seconds (600), or does not end
     before its time limit, is stopped once gdb has shown where its CPUs
     were (QEMU's gdb stub, dev/guest.sh);
  4. the second configuration, our drivers built in (dev/kbuild.sh builtin,
     $BUILD_DIR/builtin/bzImage), booted with rflconf=builtin: the KUnit
     suites that ran at boot and the end-to-end suites of
     dev/guest/suites-builtin, parsed and checked as in 2 and 3, its results
     named builtin/... (guest/... for the first); its logs are in
     $BUILD_DIR/guest-builtin/.

--select NAME[,NAME...] (make test T=...) runs only the guest suites whose
name contains one of the names, in both configurations, and no rustfmt or
cargo test; the name "kunit.py" selects the kunit.py run, and "series" the
patch series' checks (dev/series.py check).

Without a selection it also checks the patch series (dev/series.py check:
git am on a pristine 7.3 tree, the same files as the overlay build,
checkpatch.pl --strict), named series/..., and runs our KUnit suites the
kernel's way, through
tools/testing/kunit/kunit.py run with drivers/fpga/image-load/.kunitconfig
(dev/kunit.sh, its own small kernel in $BUILD_DIR/kunit/), named kunit.py/...

The guests start first and the host's checks (1, the series, kunit.py) run
meanwhile, at nice 19.

The last line is "N passed, N failed", followed by ", N skipped" when tests
were skipped. Exit status 0 only when nothing failed.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD_DIR", os.path.join(REPO, "build"))

# What a healthy guest never prints, as Linux 7.3 prints it (the file that
# prints each is named in dev/test_console_patterns.py, with a sample).
# Fault injection's "FAULT_INJECTION: forcing a failure." (verbose=1) is not
# a bug report; its stack dump (verbose=2) is, like any other Call Trace.
BAD_CONSOLE = re.compile(
    r"Kernel panic|\bOops\b|\bBUG:|kernel BUG at|^(\[[ 0-9.]+\] )?BUG \S+ \(|"
    r"WARNING:|cut here|---\[ end trace|Call Trace:|"
    r"general protection fault|KASAN:|UBSAN:|"
    r"ODEBUG: (?!selftest passed)|"
    r"list_(add|del) corruption|list_add double add|"
    r"refcount_t: |suspicious RCU usage|suspicious rcu_dereference|"
    r"kmemleak: (Cannot |Memory pool empty|.*unknown object|Found object by alias|"
    r"Kernel memory leak detector disabled|Kmemleak disabled|Scan area larger|"
    r"Failed to create)|"
    r"possible (recursive|circular) locking|inconsistent lock state|"
    r"lock held when returning|trying to register non-static key|"
    r"INFO: task .* blocked|INFO: .*detected stall|"
    r"soft lockup|hard LOCKUP|panicked at")

# kmemleak's leak reports. The guest's kmemleak suite judges every reported
# object (ours fail it, the kernel's are printed), and its explicit scans
# print these lines too (kmemleak_scan() is shared with the scan thread,
# which the guest stops): once that suite ran, the lines are its business.
KMEMLEAK_REPORT = re.compile(
    r"kmemleak: (\d+ new suspected memory leaks|unreferenced object)")

# "run-tests: <suite>.<test> took N s", printed by the guest runner.
TOOK = re.compile(r"^run-tests: (\S+) took ([0-9.]+) s")

results = []  # (name, "pass" | "fail" | "skip")
details = {}  # name of a failed test: the lines that say why, for the summary


def record(name, passed, why="", skipped=False, lines=()):
    status = "skip" if skipped else "pass" if passed else "fail"
    results.append((name, status))
    if status == "fail" and lines:
        details[name] = list(lines)
    word = {"pass": "ok    ", "fail": "FAILED", "skip": "SKIP  "}[status]
    print(f"{word} {name}{'  -- ' + why if why else ''}", flush=True)


def bad_console_lines(console, leaks_judged):
    """The lines of a console log that report a bug. Leak reports count
    unless the guest's kmemleak suite judged them (leaks_judged)."""
    bad = []
    for line in console.splitlines():
        if BAD_CONSOLE.search(line):
            bad.append(line)
        elif not leaks_judged and KMEMLEAK_REPORT.search(line):
            bad.append(line)
    return bad


def console_pattern_tests():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        import test_console_patterns
        errors = test_console_patterns.check(bad_console_lines)
    except Exception as e:  # a broken test file is a failed test
        errors = [f"{type(e).__name__}: {e}"]
    finally:
        sys.path.pop(0)
    for e in errors[:20]:
        print(f"    | {e}")
    record("host/console-patterns", not errors,
           f"{len(errors)} errors" if errors else "")


def cargo_tests():
    if not os.path.exists(os.path.join(REPO, "tools", "Cargo.toml")):
        return
    print("== cargo test (host)", flush=True)
    p = subprocess.run(["cargo", "test", "--workspace"],
                       cwd=os.path.join(REPO, "tools"), text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen = 0
    crate = "?"
    # What a failed test printed ("---- NAME stdout ----" and the lines after
    # it, up to the next such line or the list of failures), by crate.
    said, name = {}, None
    for line in p.stdout.splitlines():
        m = re.match(r"^\s*Running .*/([^/]+)-[0-9a-f]+\)$", line)
        if m:
            crate, name = m.group(1), None
        m = re.match(r"^---- (\S+) stdout ----$", line)
        if m:
            name = (crate, m.group(1))
            said[name] = []
        elif line == "failures:":
            name = None
        elif name and line.strip():
            said[name].append(line)
    crate = "?"
    for line in p.stdout.splitlines():
        # "Running unittests src/main.rs (build/cargo/debug/deps/NAME-HASH)"
        m = re.match(r"^\s*Running .*/([^/]+)-[0-9a-f]+\)$", line)
        if m:
            crate = m.group(1)
        m = re.match(r"^test (\S+) \.\.\. (ok|FAILED|ignored)", line)
        if m:
            seen += 1
            why = said.get((crate, m.group(1)), [])
            record(f"cargo/{crate}/{m.group(1)}", m.group(2) == "ok",
                   why[0][:160] if why and m.group(2) == "FAILED" else "",
                   skipped=m.group(2) == "ignored", lines=why[:20])
    if p.returncode != 0 and all(s != "fail" for n, s in results if n.startswith("cargo/")):
        sys.stdout.write(p.stdout[-8000:])
        record("cargo/build", False, f"cargo test exited {p.returncode}")
    elif seen == 0:
        record("cargo/any-test-ran", False, "cargo test ran no test")


# The .kunitconfig that make test runs through the kernel's own kunit.py
# (dev/kunit.sh), so that that workflow cannot rot; the others are run by
# hand (dev/kunit.sh with no argument runs all three).
KUNIT_PY_CONFIGS = ["drivers/fpga/image-load"]


def kunit_py_tests():
    for d in KUNIT_PY_CONFIGS:
        name = d.replace("/", "_")
        print(f"== kunit.py run --kunitconfig={d}", flush=True)
        jdir = os.path.join(BUILD, "kunit")
        jpath = os.path.join(jdir, f"{name}.json")
        os.makedirs(jdir, exist_ok=True)
        if os.path.exists(jpath):
            os.remove(jpath)
        env = dict(os.environ, KUNIT_JSON_DIR=jdir)
        p = subprocess.run([os.path.join(REPO, "dev", "kunit.sh"), d], env=env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            leaves = list(walk(json.load(open(jpath)), f"kunit.py/{name}"))
        except (OSError, ValueError):
            leaves = []
        for case, status in leaves:
            record(case, status == "PASS", "" if status in ("PASS", "SKIP") else status,
                   skipped=status == "SKIP")
        if p.returncode != 0 or not leaves:
            sys.stdout.write(p.stdout[-4000:])
            record(f"kunit.py/{name}/run", False,
                   f"dev/kunit.sh exited {p.returncode}, {len(leaves)} results")


def source_checks():
    print("== source checks", flush=True)
    p = subprocess.run([os.path.join(REPO, "dev", "check.sh")],
                       capture_output=True, text=True)
    if p.returncode:
        sys.stdout.write(p.stdout[-3000:] + p.stderr[-3000:])
    record("check/rustfmt", p.returncode == 0)


def series_checks():
    """The patch series (dev/series.py check): it applies with git am to a
    pristine 7.3 tree, carries the same files as the overlay build, and each
    patch passes checkpatch.pl --strict but for what dev/series/ explains."""
    print("== patch series", flush=True)
    p = subprocess.run([os.path.join(REPO, "dev", "series.py"), "check"],
                       capture_output=True, text=True)
    seen = failed = 0
    for line in p.stdout.splitlines():
        m = re.match(r"^(ok|not ok) (\S+)(?: # (.*))?$", line)
        if m:
            seen += 1
            failed += m.group(1) != "ok"
            record(m.group(2), m.group(1) == "ok", m.group(3) or "")
    if p.returncode and not failed:
        sys.stdout.write(p.stderr[-3000:])
        record("series/check", False, f"dev/series.py check exited {p.returncode}")
    elif not seen:
        record("series/any-check-ran", False, "dev/series.py check printed no result")


def case_diagnostics(console, suite, case):
    """The "# ..." lines a guest test printed (the runner brackets a test's
    output with "run-tests: <suite>.test_<case>" and "... took N s")."""
    out, inside = [], False
    start = f"run-tests: {suite}.test_{case}"
    for line in console.splitlines():
        line = line.rstrip("\r")
        if line == start:
            inside, out = True, []
        elif inside and line.startswith(start + " "):
            break
        elif inside and line.startswith("# "):
            out.append(line)
    return out


def our_leaks(console):
    """The records of the kmemleak suite's report that name our code."""
    out, mine = [], False
    for line in console.splitlines():
        if "run-tests: kmemleak| " not in line:
            continue
        if "  <- " in line:
            mine = line.endswith("<- OUR LEAK")
        if mine:
            out.append(line[line.index("run-tests: kmemleak| "):])
    return out


def walk(group, prefix):
    """Yield (name, status) for every leaf test of a kunit.py JSON group."""
    for case in group.get("test_cases", []):
        yield f"{prefix}/{case['name']}", case["status"]
    for sub in group.get("sub_groups", []):
        yield from walk(sub, f"{prefix}/{sub['name']}")


def slowest(console, count=10):
    took = [(float(m.group(2)), m.group(1)) for m in map(TOOK.match, console.splitlines()) if m]
    if took:
        print(f"   slowest guest tests (of {len(took)}, {sum(t for t, _ in took):.0f} s in all):")
        for t, name in sorted(took, reverse=True)[:count]:
            print(f"   {t:7.1f} s  {name}")


# The guest configurations: the name guest.sh knows, the kernel, the
# directory of guest.sh's logs, and the prefix of the results' names.
CONFIGS = {
    "debug": ("bzImage", "guest", "guest"),
    "builtin": (os.path.join("builtin", "bzImage"), "guest-builtin", "builtin"),
}
VMLINUX = {"debug": "obj", "builtin": "obj-builtin"}

# Seconds a guest may take to reach its /init ("init: kernel" on the
# console): the debug kernel boots in about 50 s alone, about 150 s with the
# other guests of make test; a kernel that hangs before /init is failed
# then, not at the guest's time limit.
BOOT_LIMIT = int(os.environ.get("GUEST_BOOT_LIMIT", 600))


def kill_tree(pid):
    """SIGTERM to a process and all its descendants (guest.sh, timeout, QEMU)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d))
    todo, tree = [pid], []
    while todo:
        p = todo.pop()
        tree.append(p)
        todo += children.get(p, [])
    for p in reversed(tree):
        try:
            os.kill(p, signal.SIGTERM)
        except OSError:
            pass


class Guest:
    """One guest of a configuration running its tests: shard k of n (n > 1) runs
    its share of the suites (rflshard=k/n, see dev/guest/run-tests.sh), with its
    logs in a directory of its own and its own finished and clean-console
    results."""

    def __init__(self, timeout, select, conf="debug", shard=None):
        kernel, gdir, self.prefix = CONFIGS[conf]
        self.conf, self.select, self.timeout, self.shard = conf, select, timeout, shard
        self.kernel = os.path.join(BUILD, kernel)
        self.gdir = os.path.join(BUILD, gdir)
        self.own = self.prefix
        if shard:
            self.gdir = os.path.join(self.gdir, f"shard{shard[0]}")
            self.own = f"{self.prefix}/shard{shard[0]}"
        self.log = os.path.join(self.gdir, "run.log")
        self.proc = None
        self.reached_init = False

    def start(self):
        what = f"rflmode=test, rflconf={self.conf}"
        if self.select:
            what += f", rflsel={self.select}"
        if self.shard:
            what += f", rflshard={self.shard[0]}/{self.shard[1]}"
        print(f"== {self.own} ({what}, up to {self.timeout}s)", flush=True)
        # (Without its kernel, the first configuration's guest.sh fails, and
        # with it guest/finished.)
        if self.conf != "debug" and not os.path.exists(self.kernel):
            record(f"{self.prefix}/kernel-missing", False,
                   f"no {self.kernel}: run 'make kernel-{self.conf}'")
            return
        os.makedirs(self.gdir, exist_ok=True)
        env = dict(os.environ, GUEST_LOG_DIR=self.gdir)
        extra = []
        if self.select:
            extra.append(f"rflsel={self.select}")
        if self.shard:
            extra.append(f"rflshard={self.shard[0]}/{self.shard[1]}")
        env["GUEST_APPEND"] = " ".join([env.get("GUEST_APPEND", "")] + extra).strip()
        self.out = open(self.log, "w")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [os.path.join(REPO, "dev", "guest.sh"), "boot", "test", str(self.timeout), self.conf],
            stdout=self.out, stderr=subprocess.STDOUT, env=env)

    def booted(self):
        """Whether the guest has reached /init; once it has, the console
        is not read again."""
        if not self.reached_init:
            try:
                with open(os.path.join(self.gdir, "console.log"), errors="replace") as f:
                    self.reached_init = "init: kernel" in f.read()
            except OSError:
                pass
        return self.reached_init

    def cpus(self):
        """Where each CPU of the hung guest is, from QEMU's gdb stub (see
        dev/guest.sh) and the kernel's symbols."""
        sock = os.path.join(self.gdir, "gdb.sock")
        vmlinux = os.path.join(BUILD, VMLINUX[self.conf], "vmlinux")
        if not os.path.exists(sock):
            return ["no gdb stub (dev/guest.sh) to ask where the CPUs are"]
        try:
            p = subprocess.run(
                ["gdb", "-batch", "-nx", vmlinux, "-ex", f"target remote {sock}",
                 "-ex", "info threads", "-ex", "thread apply all x/2i $pc",
                 # The kernel's text addresses on each stack, the caller
                 # chain as near as symbols without debug info give it.
                 "-ex", "thread apply all x/64a $sp"],
                capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as e:
            return [f"gdb: {e}"]
        return [l for l in p.stdout.splitlines()
                if l.strip() and not re.match(r"^0x[0-9a-f]+:\s+0x[0-9a-f]+\s+0x[0-9a-f]+$", l)
                and not l.startswith("[Inferior")][-80:]

    def stop(self, what, why):
        """Stop a guest that hangs, a failed result <what> that shows where
        its CPUs were."""
        lines = self.cpus()
        kill_tree(self.proc.pid)
        record(f"{self.own}/{what}", False, why + "; its CPUs were at:", lines=lines)
        for l in lines:
            print(f"    | {l}")

    def watch(self):
        """Whether the guest has ended. One that has not reached /init in
        BOOT_LIMIT seconds, or is still running 30 s before its time limit,
        is stopped, with where its CPUs were (a test that hangs inside a
        running guest is the guest runner's to report, with the blocked
        tasks)."""
        if self.proc is None or self.proc.poll() is not None:
            return True
        t = time.monotonic() - self.t0
        if t > BOOT_LIMIT and not self.booted():
            self.stop("booted", f"no /init in {BOOT_LIMIT} s")
        elif t > self.timeout - 30:
            self.stop("ended", f"still running {self.timeout - 30} s after boot began")
        else:
            return False
        self.proc.wait()
        return True

    def finish(self):
        if self.proc is None:
            return
        rc = self.proc.wait()
        self.out.close()
        print(f"== {self.own}: results", flush=True)
        guest_results(self, rc)


def guest_results(g, returncode):
    prefix, gdir, log, select, conf = g.prefix, g.gdir, g.log, g.select, g.conf
    with open(log, errors="replace") as f:
        console = f.read()
    ktap_path = os.path.join(gdir, "ttyS1.log")
    ktap = open(ktap_path, errors="replace").read() if os.path.exists(ktap_path) else ""

    finished = "# rfl-tests: end" in ktap
    record(f"{g.own}/finished", finished and returncode == 0,
           "" if finished else f"no end marker (guest exit {returncode}); see {log}")
    # The kmemleak suite's verdict line (top level) says it judged the leaks.
    leaks_judged = re.search(r"^(not )?ok \d+ kmemleak\s*$", ktap, re.M) is not None
    bad = bad_console_lines(console, leaks_judged)
    record(f"{g.own}/clean-console", not bad,
           f"{len(bad)} bad lines, first: {bad[0].strip()!r}; see {log}" if bad else "")
    for l in bad[:20]:
        print(f"    | {l.rstrip()}")
    slowest(console)

    if not ktap.strip():
        record(f"{g.own}/ktap", False, "no KTAP output")
        return
    kunit = os.path.join(BUILD, "linux", "tools", "testing", "kunit", "kunit.py")
    jpath = os.path.join(gdir, "results.json")
    # A JSON file left by an earlier run must never stand for this one's: gone
    # before the parse, so that a parse that writes none is a failure. (Its
    # exit status says whether tests failed, not whether it parsed.)
    try:
        os.unlink(jpath)
    except FileNotFoundError:
        pass
    parse = subprocess.run([sys.executable, kunit, "parse", f"--json={jpath}", ktap_path],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        doc = json.load(open(jpath))
    except (OSError, ValueError) as e:
        err = parse.stderr.strip().splitlines()[-1:] if parse.stderr else []
        record(f"{g.own}/ktap", False,
               f"kunit.py parse gave no JSON (exit {parse.returncode}): {e}"
               + (f"; it said: {err[0]}" if err else ""))
        return
    # Why a suite the guest expected did not run ("not ok N <suite> # did
    # not run: <why>"): the JSON keeps only the status.
    notrun = {f"{prefix}/{m.group(1)}": m.group(2) for m in re.finditer(
        r"^not ok \d+ (\S+) # did not run: (.*?)\s*$", ktap, re.M)}
    leaves = list(walk(doc, prefix))
    if not leaves and select and conf != "debug":
        # A selection may well name only suites of the first configuration
        # (its own guest/any-test-ran catches a selection of nothing); kunit.py
        # counts "0 tests run" as an error, so that is not checked either.
        print(f"   {prefix}: no suite of this configuration matches {select!r}")
        return
    for name, status in leaves:
        why = "" if status in ("PASS", "SKIP") else notrun.get(name, status)
        lines = []
        if status not in ("PASS", "SKIP"):
            parts = name.split("/")
            if len(parts) >= 3:
                lines = case_diagnostics(console, parts[-2], parts[-1])
                # The test's last word on the FAILED line itself, so that
                # any excerpt of a log that shows the failure shows why.
                if lines and name not in notrun:
                    why = f"{why}: {lines[-1][2:][:160]}"
            if parts[-1] == "no_leaks_in_our_code":
                lines += our_leaks(console)
        # Every shard has a kmemleak suite of its own.
        if g.shard and name.startswith(f"{prefix}/kmemleak/"):
            name = f"{g.own}/kmemleak/{name.split('/', 2)[2]}"
        record(name, status == "PASS", why, skipped=status == "SKIP", lines=lines)
    misc = doc.get("misc", {})
    if misc.get("errors"):
        record(f"{g.own}/ktap-well-formed", False,
               f"kunit.py parse reported {misc['errors']} errors")
    if not leaves:
        record(f"{g.own}/any-test-ran", False,
               "the KTAP document has no test" + (f" (selection {select!r})" if select else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=int, default=int(os.environ.get("GUEST_TIMEOUT", 2400)))
    ap.add_argument("--builtin-timeout", type=int,
                    default=int(os.environ.get("GUEST_BUILTIN_TIMEOUT", 300)),
                    help="seconds for the guest of the built-in configuration")
    ap.add_argument("--shards", type=int, default=int(os.environ.get("GUEST_SHARDS", 3)),
                    help="guests of the debug kernel that share its suites, at once "
                    "(the shards of dev/guest/suites; 1: one guest runs them all)")
    ap.add_argument("--no-guest", action="store_true")
    ap.add_argument("--no-cargo", action="store_true")
    ap.add_argument("--select", metavar="NAME[,NAME...]", default="",
                    help="only the guest suites whose name contains one of the names; "
                    "no rustfmt, no cargo test")
    a = ap.parse_args()
    if a.select and not re.fullmatch(r"[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*", a.select):
        ap.error(f"--select {a.select!r}: names of letters, digits, '_', '.', '-', "
                 "separated by commas")
    # "kunit.py" and "series" in the selection name those runs, not guest suites.
    gsel = ",".join(n for n in a.select.split(",") if n and n not in ("kunit.py", "series"))
    guests = []
    if not a.no_guest and (gsel or not a.select):
        # The whole run boots the debug kernel's guests in shards, all at once
        # and with the built-in kernel's guest, and the host's checks run
        # while they do (alone they keep one core busy at most), at nice 19:
        # at the guests' priority they preempt the guests' vCPUs, and make
        # test took 11.5 to 14.5 min in three runs, against 10 to 11 min in
        # two at nice 19. A selection runs in one guest.
        n = 1 if gsel else a.shards
        guests = [Guest(a.timeout, gsel, shard=(k, n) if n > 1 else None)
                  for k in range(1, n + 1)]
        guests.append(Guest(a.builtin_timeout, gsel, "builtin"))
        for g in guests:
            g.start()
        os.nice(19)
    console_pattern_tests()
    if not a.select:
        source_checks()
        if not a.no_cargo:
            cargo_tests()
    if not a.select or "series" in a.select.split(","):
        series_checks()
    if not a.select or "kunit.py" in a.select.split(","):
        kunit_py_tests()
    # Every guest watched at once: any of them may hang while another runs.
    while not all([g.watch() for g in guests]):
        time.sleep(5)
    for g in guests:
        g.finish()
    count = {s: sum(1 for _, st in results if st == s) for s in ("pass", "fail", "skip")}
    for name, status in results:
        if status == "fail":
            print(f"failed: {name}")
            # What the test said, so that a log's last lines show why.
            for l in details.get(name, [])[:40]:
                print(f"    | {l}")
    print(f"{count['pass']} passed, {count['fail']} failed"
          + (f", {count['skip']} skipped" if count["skip"] else ""))
    return 1 if count["fail"] or not results else 0


if __name__ == "__main__":
    sys.exit(main())
