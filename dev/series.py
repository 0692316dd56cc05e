#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Our work as a patch series against Linux 7.3, and the proof that it matches.

  series.py patches    write $BUILD_DIR/patches/: a cover letter and one patch
                       per entry of dev/series/, in the order of their names
  series.py check      git am those patches onto a pristine 7.3 git tree and
                       compare every file they touch with the overlay build
                       ($BUILD_DIR/linux, which dev/overlay.sh laid) and the
                       tools with this repository; check our headers'
                       kernel-doc, build our pages with Sphinx, find every
                       sysfs attribute of ours in Documentation/ABI; run
                       checkpatch.pl --strict on each patch; print one
                       "ok"/"not ok" line per check

Each entry of dev/series/ is a commit: headers, a blank line, the body.

  Subject: <subsystem>: <summary>
  Files: <path or directory of this repository> ...
  Edits: <file>|<line>            a line of dev/overlay.d/edits, by its two
                                  first fields, laid as the overlay lays it
  Patches: <name> ...             patches of dev/patches, applied as they are
  From-patch: <name>              take author, date, subject and body from
                                  this patch of dev/patches instead (no body)
  Checkpatch: <TYPE> <why>        a checkpatch.pl warning or check that this
                                  patch keeps, and why; the cover letter
                                  lists them

Every file the overlay lays, every edit and every patch of dev/patches is
used by exactly one entry, and every file under tools/: the series carries
all of our work, or `patches` fails. Patches to the same upstream file keep
the order of dev/patches/series.

The pristine tree is $BUILD_DIR/series/linux, a git repository made once
from the Linux 7.3 tarball (LINUX_TARBALL, or the copy dev/setup.sh keeps).
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import textwrap

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD_DIR", os.path.join(REPO, "build"))
TOOLS_DIR = os.environ.get("TOOLS_DIR", os.path.join(
    os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "rfl-drivers"))
SERIES = os.path.join(REPO, "dev", "series")
PATCHES = os.path.join(REPO, "dev", "patches")
EDITS = os.path.join(REPO, "dev", "overlay.d", "edits")
PRISTINE = os.path.join(BUILD, "series", "linux")
OUT = os.path.join(BUILD, "patches")
KSRC = os.path.join(BUILD, "linux")
BASE = "rfl-base"
# The directories dev/overlay.sh lays into the tree.
OVERLAY_DIRS = ("drivers", "include", "rust", "Documentation", "samples", "lib")


class SeriesError(Exception):
    pass


def git(*args, cwd=PRISTINE, env=None, check=True, capture=True):
    p = subprocess.run(["git", *args], cwd=cwd, env=env, text=True,
                       stdout=subprocess.PIPE if capture else None,
                       stderr=subprocess.PIPE if capture else None)
    if check and p.returncode != 0:
        raise SeriesError(f"git {' '.join(args)}: {(p.stderr or '').strip()}")
    return p.stdout if capture else ""


def tracked():
    return git("ls-files", cwd=REPO).splitlines()


def identity():
    """Author and date of every commit we make: this repository's HEAD's."""
    name, email, date = git("log", "-1", "--format=%an%n%ae%n%aD", cwd=REPO).splitlines()
    return name, email, date


def pristine():
    """The pristine tree at BASE, clean, with no am in progress."""
    if not os.path.isdir(os.path.join(PRISTINE, ".git")):
        tarball = os.environ.get("LINUX_TARBALL") or os.path.join(
            TOOLS_DIR, "linux-source-7.3.tar.xz")
        if not os.path.isfile(tarball):
            raise SeriesError(f"no Linux 7.3 tarball at {tarball}: run dev/setup.sh "
                              "or set LINUX_TARBALL")
        tmp = PRISTINE + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        print(f"series: making the pristine tree {PRISTINE} from {tarball}",
              file=sys.stderr, flush=True)
        subprocess.run(["tar", "-xf", tarball, "-C", tmp, "--strip-components=1"],
                       check=True)
        env = dict(os.environ, GIT_AUTHOR_NAME="Linux", GIT_AUTHOR_EMAIL="linux@localhost",
                   GIT_COMMITTER_NAME="Linux", GIT_COMMITTER_EMAIL="linux@localhost",
                   GIT_AUTHOR_DATE="@0 +0000", GIT_COMMITTER_DATE="@0 +0000")
        git("init", "-q", cwd=tmp)
        # No automatic gc: run in the background after the first commit of
        # a whole tree, it holds HEAD.lock while the checks check out.
        git("config", "gc.auto", "0", cwd=tmp)
        git("config", "maintenance.auto", "false", cwd=tmp)
        git("add", "-A", "-f", cwd=tmp)
        git("commit", "-q", "--no-verify", "-m", "Linux 7.3 (pristine)", cwd=tmp, env=env)
        git("tag", BASE, cwd=tmp)
        os.rename(tmp, PRISTINE)
    git("am", "--abort", check=False)
    git("checkout", "-qf", "--detach", BASE)
    git("clean", "-qfdx")


def parse_entry(path):
    with open(path) as f:
        text = f.read()
    head, _, body = text.partition("\n\n")
    e = {"name": os.path.basename(path), "Files": [], "Edits": [], "Patches": [],
         "Checkpatch": [], "body": body.strip("\n")}
    for line in head.splitlines():
        key, sep, val = line.partition(":")
        val = val.strip()
        if not sep or key not in ("Subject", "Files", "Edits", "Patches", "From-patch",
                                  "Checkpatch"):
            raise SeriesError(f"{e['name']}: bad header line {line!r}")
        if key in ("Subject", "From-patch"):
            e[key] = val
        elif key in ("Edits", "Checkpatch"):
            e[key].append(val)
        else:
            e[key] += val.split()
    if ("Subject" in e) == ("From-patch" in e):
        raise SeriesError(f"{e['name']}: needs a Subject or a From-patch, not both")
    if "From-patch" in e:
        if e["body"]:
            raise SeriesError(f"{e['name']}: a From-patch entry has no body of its own")
        e["Patches"].insert(0, e["From-patch"])
    elif not e["body"]:
        raise SeriesError(f"{e['name']}: no commit message body")
    return e


def entries():
    names = sorted(n for n in os.listdir(SERIES) if re.match(r"^\d\d-", n))
    return [parse_entry(os.path.join(SERIES, n)) for n in names]


def edits():
    """dev/overlay.d/edits: {"file|line": (file, line, anchor)}, in order."""
    out = {}
    with open(EDITS) as f:
        for raw in f:
            raw = raw.rstrip("\n")
            if not raw or raw.startswith("#"):
                continue
            file, line, anchor = (raw.split("|", 2) + [""])[:3]
            out[f"{file}|{line}"] = (file, line, anchor)
    return out


def patch_series():
    with open(os.path.join(PATCHES, "series")) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def patch_files(name):
    with open(os.path.join(PATCHES, name)) as f:
        return re.findall(r"^\+\+\+ b/(\S+)", f.read(), re.M)


def overlay_files(files):
    return [f for f in files if f.split("/", 1)[0] in OVERLAY_DIRS]


def ensure_line(root, file, line, anchor):
    """What dev/overlay.sh's ensure_line does: LINE ("\\n" between its lines)
    after the first line matching ANCHOR, or at the end; nothing if its lines
    are there one after another already."""
    path = os.path.join(root, file)
    with open(path) as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    block = line.split("\\n")
    if any(lines[i:i + len(block)] == block for i in range(len(lines))):
        return
    if not anchor:
        lines += block
    else:
        for i, l in enumerate(lines):
            if re.search(anchor, l):
                lines[i + 1:i + 1] = block
                break
        else:
            raise SeriesError(f"anchor {anchor!r} not found in {file}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def expand(e, files):
    """The repository files an entry names (files, or directories)."""
    out = []
    for p in e["Files"]:
        p = p.rstrip("/")
        got = [f for f in files if f == p or f.startswith(p + "/")]
        if not got:
            raise SeriesError(f"{e['name']}: {p} names no file of this repository")
        out += got
    return out


def coverage(ents, files):
    """Every file, edit and patch of ours in exactly one entry."""
    want = set(overlay_files(files)) | {f for f in files if f.startswith("tools/")}
    seen = {}
    problems = []
    for e in ents:
        for f in expand(e, files):
            if f in seen:
                problems.append(f"{f} is in {seen[f]} and {e['name']}")
            seen[f] = e["name"]
    problems += [f"{f} is in no entry of dev/series" for f in sorted(want - set(seen))]
    problems += [f"{f} ({seen[f]}) is not ours to carry" for f in sorted(set(seen) - want)]
    all_edits = edits()
    used = {}
    for e in ents:
        for k in e["Edits"]:
            if k not in all_edits:
                problems.append(f"{e['name']}: edit {k!r} is not in dev/overlay.d/edits")
            if k in used:
                problems.append(f"edit {k!r} is in {used[k]} and {e['name']}")
            used[k] = e["name"]
    problems += [f"edit {k!r} is in no entry" for k in all_edits if k not in used]
    order = patch_series()
    pused = [p for e in ents for p in e["Patches"]]
    for p in sorted(set(order) - set(pused)):
        problems.append(f"patch {p} is in no entry")
    for p in sorted(set(pused) - set(order)):
        problems.append(f"patch {p} is not in dev/patches/series")
    for p in set(pused):
        if pused.count(p) > 1:
            problems.append(f"patch {p} is in more than one entry")
    # Two patches to one file apply in the overlay's order.
    touched = {p: set(patch_files(p)) for p in order}
    for i, a in enumerate(pused):
        for b in pused[i + 1:]:
            if a in order and b in order and touched[a] & touched[b] and \
                    order.index(a) > order.index(b):
                problems.append(f"{a} and {b} both change {sorted(touched[a] & touched[b])}"
                                " but are used out of dev/patches/series' order")
    if problems:
        raise SeriesError("dev/series does not carry our work as it is:\n  " +
                          "\n  ".join(problems))


def commit_entry(e, files, name, email, date):
    for f in expand(e, files):
        dst = os.path.join(PRISTINE, f)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(os.path.join(REPO, f), dst)
    all_edits = edits()
    for k in e["Edits"]:
        ensure_line(PRISTINE, *all_edits[k])
    env = dict(os.environ, GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email,
               GIT_AUTHOR_DATE=date, GIT_COMMITTER_NAME=name,
               GIT_COMMITTER_EMAIL=email, GIT_COMMITTER_DATE=date)
    if "From-patch" in e:
        # The patch is a commit of its own, with our files added to it.
        git("am", "-q", "--keep-cr", os.path.join(PATCHES, e["From-patch"]), env=env)
        rest = e["Patches"][1:]
        for p in rest:
            git("apply", os.path.join(PATCHES, p))
        if e["Files"] or e["Edits"] or rest:
            git("add", "-A", "-f")
            git("commit", "-q", "--amend", "--no-edit", "--no-verify", env=env)
        return
    for p in e["Patches"]:
        git("apply", os.path.join(PATCHES, p))
    git("add", "-A", "-f")
    msg = f"{e['Subject']}\n\n{e['body']}\n\nSigned-off-by: {name} <{email}>\n"
    p = subprocess.run(["git", "commit", "-q", "--no-verify", "-F", "-"], cwd=PRISTINE,
                       env=env, input=msg, text=True, capture_output=True)
    if p.returncode != 0:
        raise SeriesError(f"{e['name']}: git commit: {p.stderr.strip() or p.stdout.strip()}")


def cover_letter(ents, path):
    with open(os.path.join(SERIES, "cover")) as f:
        subject, _, blurb = f.read().partition("\n\n")
    kept = {}
    for i, e in enumerate(ents, 1):
        for c in e["Checkpatch"]:
            typ, _, why = c.partition(" ")
            kept.setdefault((typ, why.strip()), []).append(f"{i:02d}")
    if kept:
        items = [textwrap.fill(f"- {typ} (patch{'es' if len(n) > 1 else ''} "
                               f"{', '.join(n)}): {why}", 72, subsequent_indent="  ")
                 for (typ, why), n in kept.items()]
        blurb = blurb.rstrip("\n") + ("\n\ncheckpatch.pl --strict: what the patches keep, "
                                      "and why\n\n" + "\n".join(items) + "\n")
    with open(path) as f:
        text = f.read()
    text = text.replace("*** SUBJECT HERE ***", subject.strip()).replace(
        "*** BLURB HERE ***", blurb.strip("\n"))
    with open(path, "w") as f:
        f.write(text)


def make_patches():
    ents = entries()
    files = tracked()
    coverage(ents, files)
    pristine()
    name, email, date = identity()
    for e in ents:
        try:
            commit_entry(e, files, name, email, date)
        except SeriesError as err:
            raise SeriesError(f"{e['name']}: {err}") from None
    shutil.rmtree(OUT, ignore_errors=True)
    env = dict(os.environ, GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email)
    git("format-patch", "-q", "--cover-letter", "--no-signature", "-o", OUT,
        f"{BASE}..HEAD", env=env)
    cover_letter(ents, os.path.join(OUT, "0000-cover-letter.patch"))
    n = len(ents)
    print(f"series: {n} patches and a cover letter in {OUT}", file=sys.stderr)
    return ents


def same(a, b):
    """Same bytes (through symlinks); False when either is missing."""
    try:
        with open(a, "rb") as fa, open(b, "rb") as fb:
            return fa.read() == fb.read()
    except FileNotFoundError:
        return False


def checkpatch(ents, report):
    pats = sorted(glob.glob(os.path.join(OUT, "[0-9][0-9][0-9][0-9]-*.patch")))[1:]
    for i, (e, p) in enumerate(zip(ents, pats), 1):
        r = subprocess.run(["perl", "scripts/checkpatch.pl", "--strict", "--terse",
                            "--show-types", "--no-summary", p], cwd=PRISTINE,
                           text=True, capture_output=True)
        allowed = {c.split()[0] for c in e["Checkpatch"]}
        seen = set()
        bad = []
        for line in r.stdout.splitlines():
            m = re.search(r": (ERROR|WARNING|CHECK):(\w+):", line)
            if not m:
                continue
            seen.add(m.group(2))
            if m.group(1) == "ERROR" or m.group(2) not in allowed:
                bad.append(line.split(": ", 1)[-1])
        unused = allowed - seen
        # checkpatch exits 1 when it reports something, 0 when it does not; any
        # other status, or 1 with nothing parsed, is checkpatch failing, which
        # must not read as a clean patch.
        if r.returncode not in (0, 1) or (r.returncode == 1 and not seen):
            err = (r.stderr.strip().splitlines() or ["no output"])[-1]
            bad.append(f"checkpatch.pl exited {r.returncode}: {err}")
        detail = "; ".join(bad[:5] + [f"kept {t} but checkpatch no longer reports it"
                                      for t in sorted(unused)])
        report(f"series/checkpatch/{i:02d}-{e['name'][3:]}", not bad and not unused, detail)


# Our pages' directories, for Sphinx (make htmldocs SPHINXDIRS=...).
DOC_DIRS = ("fpga", "driver-api/cxl")
DOCS_VENV = os.path.join(TOOLS_DIR, "docs-venv")


def docs_checks(changed, report):
    """Our headers' kernel-doc, our pages built by Sphinx with no warning of
    theirs, and every sysfs attribute of our drivers in Documentation/ABI."""
    ours = sorted(changed)
    hdrs = [f for f in ours if f.startswith("include/") and f.endswith(".h")]
    r = subprocess.run(["perl", "scripts/kernel-doc", "-none", "-Wall", *hdrs],
                       cwd=PRISTINE, text=True, capture_output=True)
    out = (r.stdout + r.stderr).strip()
    report("series/kernel-doc", r.returncode == 0 and not out and bool(hdrs),
           out.splitlines()[0] if out else "" if hdrs else "no header of ours")

    pages = [f for f in ours if f.startswith("Documentation/") and f.endswith(".rst")
             and "/ABI/" not in f and f.startswith(tuple(f"Documentation/{d}/"
                                                         for d in DOC_DIRS))]
    sphinx = os.path.join(DOCS_VENV, "bin", "sphinx-build")
    if not os.path.exists(sphinx):
        report("series/docs-sphinx", False, f"no {sphinx}: run dev/setup.sh")
    else:
        obj = os.path.join(BUILD, "series", "docs")
        env = dict(os.environ, PATH=os.path.dirname(sphinx) + ":" + os.environ["PATH"])
        r = subprocess.run(["make", "-s", f"O={obj}", f"SPHINXDIRS={' '.join(DOC_DIRS)}",
                            "htmldocs"], cwd=PRISTINE, env=env, text=True,
                           capture_output=True)
        log = r.stdout + r.stderr
        names = [os.path.basename(p) for p in pages] + \
            [os.path.basename(h) for h in hdrs]
        bad = [l for l in log.splitlines() if re.search(r"WARNING|ERROR", l)
               and any(n in l for n in names)]
        missing = [p for p in pages if not os.path.exists(os.path.join(
            obj, "Documentation", "output", p[len("Documentation/"):-4] + ".html"))]
        report("series/docs-sphinx", r.returncode == 0 and not bad and not missing
               and bool(pages),
               "; ".join(bad[:3] + [f"{p} was not built" for p in missing]) or
               (f"make htmldocs exited {r.returncode}" if r.returncode else ""))

    # sysfs: every attribute our drivers show (kernel::sysfs::Show::NAME), in
    # a What: line of our Documentation/ABI files.
    shown = set()
    for f in ours:
        if f.startswith("drivers/") and f.endswith(".rs"):
            with open(os.path.join(PRISTINE, f)) as fh:
                shown |= set(re.findall(r'const NAME: &\'static CStr = c"([^"]+)";', fh.read()))
    documented = set()
    for f in ours:
        if f.startswith("Documentation/ABI/"):
            with open(os.path.join(PRISTINE, f)) as fh:
                documented |= {w.rsplit("/", 1)[-1] for w in
                               re.findall(r"^What:\s*(\S+)", fh.read(), re.M)}
    report("series/abi-documented", bool(shown) and shown <= documented,
           ", ".join(sorted(shown - documented)) + (" not in Documentation/ABI"
                                                     if shown - documented else ""))


def check():
    ents = make_patches()
    pristine()
    pats = sorted(glob.glob(os.path.join(OUT, "[0-9][0-9][0-9][0-9]-*.patch")))[1:]
    results = []

    def report(name, ok, detail=""):
        results.append(ok)
        print(f"{'ok' if ok else 'not ok'} {name}{' # ' + detail if detail else ''}",
              flush=True)

    r = subprocess.run(["git", "am", "-q", "--keep-cr", *pats], cwd=PRISTINE,
                       text=True, capture_output=True)
    report("series/git-am", r.returncode == 0 and len(pats) == len(ents),
           (r.stderr or r.stdout).strip().splitlines()[0] if r.returncode else "")
    if r.returncode != 0:
        return results
    changed = set(git("diff", "--name-only", BASE, "HEAD").splitlines())
    files = tracked()
    # The overlay's side: what it links, edits and patches in $KSRC.
    theirs = set(overlay_files(files))
    theirs |= {v[0] for v in edits().values()}
    for p in patch_series():
        theirs |= set(patch_files(p))
    differ = []
    for f in sorted(changed | theirs):
        ref = os.path.join(REPO if f.startswith("tools/") else KSRC, f)
        if f not in changed:
            differ.append(f"{f}: changed by the overlay, not by the series")
        elif not same(os.path.join(PRISTINE, f), ref):
            differ.append(f"{f}: differs from {os.path.relpath(ref, REPO)}")
    differ += [f"{f}: not in the series" for f in files
               if f.startswith("tools/") and f not in changed]
    report("series/matches-overlay", not differ and bool(changed),
           "; ".join(differ[:5]) + (f" (and {len(differ) - 5} more)" if len(differ) > 5
                                   else ""))
    # rustfmt, as make rustfmtcheck runs it, on every kernel Rust file the
    # series adds or changes: upstream's files with our lines in them too.
    rs = sorted(f for f in changed if f.endswith(".rs") and not f.startswith("tools/"))
    r = subprocess.run(["rustfmt", "--check", *rs], cwd=PRISTINE, text=True,
                       capture_output=True)
    report("series/rustfmt", r.returncode == 0 and bool(rs),
           next((l for l in (r.stdout + r.stderr).splitlines() if l.strip()), ""))
    docs_checks(changed, report)
    checkpatch(ents, report)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["patches", "check"])
    a = ap.parse_args()
    try:
        if a.what == "patches":
            make_patches()
            return 0
        return 0 if all(check()) else 1
    except SeriesError as err:
        print(f"series: error: {err}", file=sys.stderr)
        if a.what == "check":
            print("not ok series/make-patches # " + str(err).splitlines()[0])
        return 1


if __name__ == "__main__":
    sys.exit(main())
