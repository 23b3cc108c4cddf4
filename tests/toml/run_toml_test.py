#!/usr/bin/python3
"""Runs airlock's TOML decoder over the toml-test corpus.

Every valid/X.toml must decode (exit 0) to tagged JSON equal to X.json,
compared the way toml-test does: integers and strings exactly, floats
numerically (nan equals nan), date-times as instants after normalising the
separator, the case of t/z and the precision of fractional seconds. Every
invalid/X.toml must be refused with exit 1 and a `line:col: problem`
message; a crash (signal, exit >= 128) or a timeout is a failure.

The .multi files in the corpus are the sources toml-test generates some
invalid cases from; the generated files are in the corpus too, so they are
not read here.

Prints one line per failure, then `toml-test: P passed, F failed, S skipped`;
exits 1 on any failure or when no test files were found.
"""

import argparse
import calendar
import json
import math
import os
import re
import subprocess
import sys

DEFAULT_CORPUS = ("/usr/share/gocode/src/github.com/BurntSushi/toml/"
                  "internal/toml-test/tests")
HERE = os.path.dirname(os.path.abspath(__file__))
ERROR_LINE = re.compile(r"^\d+:\d+: \S")
TIMEOUT = 20


class Mismatch(Exception):
    pass


def load_skips(path):
    skips = {}
    if not os.path.exists(path):
        return skips
    with open(path, encoding="utf-8") as f:
        for line in f:
            entry = line.split("#", 1)[0].strip()
            if entry:
                reason = line.split("#", 1)[1].strip() if "#" in line else ""
                skips[entry.removesuffix(".toml")] = reason
    return skips


# --- comparison -----------------------------------------------------------

DT = re.compile(
    r"^(?:(\d{4})-(\d{2})-(\d{2}))?T?"
    r"(?:(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?)?"
    r"(Z|[+-]\d{2}:\d{2})?$")


def datetime_key(kind, text):
    norm = text.replace(" ", "T").replace("t", "T").replace("z", "Z")
    m = DT.match(norm)
    if not m:
        raise Mismatch("not a %s: %r" % (kind, text))
    y, mo, d, h, mi, s, frac, off = m.groups()
    want_parts = {
        "datetime": (True, True, True),
        "datetime-local": (True, True, False),
        "date-local": (True, False, False),
        "time-local": (False, True, False),
    }[kind]
    have_parts = (y is not None, h is not None, off is not None)
    if want_parts != have_parts:
        raise Mismatch("not a %s: %r" % (kind, text))
    nanos = int((frac or "0")[:9].ljust(9, "0"))
    if kind == "date-local":
        return (int(y), int(mo), int(d))
    if kind == "time-local":
        return (int(h), int(mi), int(s), nanos)
    secs = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi),
                            int(s), 0, 0, 0))
    if kind == "datetime" and off != "Z":
        sign = 1 if off[0] == "+" else -1
        secs -= sign * (int(off[1:3]) * 3600 + int(off[4:6]) * 60)
    return (secs, nanos)


def same_float(want, have):
    if want.endswith("nan") or have.endswith("nan"):
        return want.lstrip("+-") == have.lstrip("+-")
    return float(want) == float(have)


def is_leaf(v):
    return (isinstance(v, dict) and set(v) == {"type", "value"}
            and isinstance(v["type"], str))


def compare_leaf(want, have, key):
    if not is_leaf(have):
        raise Mismatch("%s: expected a %s value, got %r"
                       % (key, want["type"], have))
    kind = want["type"]
    if kind != have["type"]:
        raise Mismatch("%s: expected type %s, got %s"
                       % (key, kind, have["type"]))
    if kind == "array":
        return compare(want["value"], have["value"], key)
    w, h = want["value"], have["value"]
    if not isinstance(h, str):
        raise Mismatch("%s: value is not a string: %r" % (key, h))
    if kind == "float":
        ok = same_float(w, h)
    elif kind in ("datetime", "datetime-local", "date-local", "time-local"):
        ok = datetime_key(kind, w) == datetime_key(kind, h)
    else:
        ok = w == h
    if not ok:
        raise Mismatch("%s: expected %r, got %r" % (key, w, h))


def compare(want, have, key="(root)"):
    if is_leaf(want):
        return compare_leaf(want, have, key)
    if isinstance(want, dict):
        if not isinstance(have, dict) or is_leaf(have):
            raise Mismatch("%s: expected a table, got %r" % (key, have))
        if set(want) != set(have):
            raise Mismatch("%s: keys differ: missing %s, extra %s" % (
                key, sorted(set(want) - set(have)),
                sorted(set(have) - set(want))))
        for k in want:
            compare(want[k], have[k], k if key == "(root)" else key + "." + k)
        return None
    if isinstance(want, list):
        if not isinstance(have, list) or len(want) != len(have):
            raise Mismatch("%s: expected array of %d, got %r"
                           % (key, len(want), have))
        for i, (w, h) in enumerate(zip(want, have)):
            compare(w, h, "%s[%d]" % (key, i))
        return None
    raise Mismatch("%s: bad expected value %r" % (key, want))


# --- running ----------------------------------------------------------------

def run_decoder(decoder, path):
    with open(path, "rb") as f:
        return subprocess.run([decoder], stdin=f, capture_output=True,
                              timeout=TIMEOUT)


def check_valid(decoder, path):
    p = run_decoder(decoder, path)
    if p.returncode != 0:
        err = p.stderr.decode("utf-8", "replace").strip()
        return "exit %d: %s" % (p.returncode, err)
    with open(path[:-5] + ".json", encoding="utf-8") as f:
        want = json.load(f)
    try:
        have = json.loads(p.stdout.decode("utf-8"))
        compare(want, have)
    except (ValueError, Mismatch) as e:
        return str(e)
    return None


def check_invalid(decoder, path):
    p = run_decoder(decoder, path)
    err = p.stderr.decode("utf-8", "replace").strip()
    if p.returncode < 0 or p.returncode >= 128:
        return "crashed (exit %d): %s" % (p.returncode, err)
    if p.returncode == 0:
        return "accepted invalid input"
    if p.returncode != 1:
        return "exit %d, want 1: %s" % (p.returncode, err)
    if not ERROR_LINE.match(err):
        return "message is not `line:col: problem`: %r" % err
    return None


def collect(corpus):
    found = []
    for kind in ("valid", "invalid"):
        top = os.path.join(corpus, kind)
        for root, _dirs, files in os.walk(top):
            for name in files:
                if name.endswith(".toml") and not name.endswith(".multi.toml"):
                    full = os.path.join(root, name)
                    rel = os.path.relpath(full, corpus)
                    found.append((kind, rel[:-5], full))
    return sorted(found)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--decoder", required=True)
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--skip", default=os.path.join(HERE, "skip.txt"))
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    skips = load_skips(args.skip)
    passed = failed = skipped = 0
    for kind, rel, full in collect(args.corpus):
        if rel in skips:
            skipped += 1
            continue
        check = check_valid if kind == "valid" else check_invalid
        try:
            problem = check(args.decoder, full)
        except subprocess.TimeoutExpired:
            problem = "timed out after %ds" % TIMEOUT
        if problem:
            failed += 1
            print("FAIL %s: %s" % (rel, problem))
        else:
            passed += 1
            if args.verbose:
                print("ok   %s" % rel)
    print("toml-test: %d passed, %d failed, %d skipped"
          % (passed, failed, skipped))
    return 1 if failed or passed + failed + skipped == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
