#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run every test of the project and end with 'N passed, N failed'.

  1. host: `cargo test` of the user-space tools (one result per test);
  2. guest: boot the kernel with rflmode=test; the guest writes one KTAP
     document (our KUnit suites, then the end-to-end suites) to its second
     serial port, which is parsed with the kernel's own
     `tools/testing/kunit/kunit.py parse`;
  3. guest health: the console must show no panic, oops, BUG, WARN,
     lockdep, KASAN or kmemleak report, and the guest must finish in time.

Exit status 0 only when nothing failed.
"""

import argparse
import json
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD_DIR", os.path.join(REPO, "build"))

# What a healthy guest never prints.
BAD_CONSOLE = re.compile(
    r"Kernel panic|\bOops\b|\bBUG:|WARNING:|cut here|Call Trace:|"
    r"general protection fault|KASAN:|UBSAN:|kmemleak:.*unreferenced|"
    r"possible (recursive|circular) locking|inconsistent lock state|"
    r"lock held when returning|INFO: task .* blocked|rcu_sched self-detected|"
    r"soft lockup|hard LOCKUP|panicked at")

results = []  # (name, passed)


def record(name, passed, why=""):
    results.append((name, passed))
    print(f"{'ok    ' if passed else 'FAILED'} {name}{'  -- ' + why if why else ''}",
          flush=True)


def cargo_tests():
    if not os.path.exists(os.path.join(REPO, "Cargo.toml")):
        return
    print("== cargo test (host)", flush=True)
    p = subprocess.run(["cargo", "test", "--workspace"], cwd=REPO, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen = 0
    crate = "?"
    for line in p.stdout.splitlines():
        # "Running unittests src/main.rs (build/cargo/debug/deps/NAME-HASH)"
        m = re.match(r"^\s*Running .*/([^/]+)-[0-9a-f]+\)$", line)
        if m:
            crate = m.group(1)
        m = re.match(r"^test (\S+) \.\.\. (ok|FAILED|ignored)$", line)
        if m and m.group(2) != "ignored":
            seen += 1
            record(f"cargo/{crate}/{m.group(1)}", m.group(2) == "ok")
    if p.returncode != 0 and all(ok for n, ok in results if n.startswith("cargo/")):
        sys.stdout.write(p.stdout[-8000:])
        record("cargo/build", False, f"cargo test exited {p.returncode}")
    elif seen == 0:
        record("cargo/any-test-ran", False, "cargo test ran no test")


def source_checks():
    print("== source checks", flush=True)
    p = subprocess.run([os.path.join(REPO, "dev", "check.sh")],
                       capture_output=True, text=True)
    if p.returncode:
        sys.stdout.write(p.stdout[-3000:] + p.stderr[-3000:])
    record("check/rustfmt", p.returncode == 0)


def walk(group, prefix):
    """Yield (name, status) for every leaf test of a kunit.py JSON group."""
    for case in group.get("test_cases", []):
        yield f"{prefix}/{case['name']}", case["status"]
    for sub in group.get("sub_groups", []):
        yield from walk(sub, f"{prefix}/{sub['name']}")


def guest_tests(timeout):
    print(f"== guest (rflmode=test, up to {timeout}s)", flush=True)
    gdir = os.path.join(BUILD, "guest")
    log = os.path.join(gdir, "run.log")
    os.makedirs(gdir, exist_ok=True)
    with open(log, "w") as out:
        p = subprocess.run([os.path.join(REPO, "dev", "guest.sh"), "boot", "test",
                            str(timeout)], stdout=out, stderr=subprocess.STDOUT)
    with open(log, errors="replace") as f:
        console = f.read()
    ktap_path = os.path.join(gdir, "ttyS1.log")
    ktap = open(ktap_path, errors="replace").read() if os.path.exists(ktap_path) else ""

    finished = "# rfl-tests: end" in ktap
    record("guest/finished", finished and p.returncode == 0,
           "" if finished else f"no end marker (guest exit {p.returncode}); see {log}")
    bad = [l for l in console.splitlines() if BAD_CONSOLE.search(l)]
    record("guest/clean-console", not bad,
           f"{len(bad)} bad lines, first: {bad[0].strip()!r}; see {log}" if bad else "")
    for l in bad[:20]:
        print(f"    | {l.rstrip()}")

    if not ktap.strip():
        record("guest/ktap", False, "no KTAP output")
        return
    kunit = os.path.join(BUILD, "linux", "tools", "testing", "kunit", "kunit.py")
    jpath = os.path.join(gdir, "results.json")
    subprocess.run([sys.executable, kunit, "parse", f"--json={jpath}", ktap_path],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        doc = json.load(open(jpath))
    except (OSError, ValueError) as e:
        record("guest/ktap", False, f"kunit.py parse gave no JSON: {e}")
        return
    leaves = list(walk(doc, "guest"))
    for name, status in leaves:
        if status != "SKIP":
            record(name, status == "PASS", "" if status == "PASS" else status)
    misc = doc.get("misc", {})
    if misc.get("errors"):
        record("guest/ktap-well-formed", False,
               f"kunit.py parse reported {misc['errors']} errors")
    if not leaves:
        record("guest/any-test-ran", False, "the KTAP document has no test")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=int, default=int(os.environ.get("GUEST_TIMEOUT", 900)))
    ap.add_argument("--no-guest", action="store_true")
    ap.add_argument("--no-cargo", action="store_true")
    a = ap.parse_args()
    source_checks()
    if not a.no_cargo:
        cargo_tests()
    if not a.no_guest:
        guest_tests(a.timeout)
    passed = sum(1 for _, ok in results if ok)
    failed = len(results) - passed
    for name, ok in results:
        if not ok:
            print(f"failed: {name}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
