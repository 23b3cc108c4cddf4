"""The repository walk of `airlock run`, seen from --print-plan: it stays on
each writable root's own file system, and the cache and the lstat taken
ahead of it (sandbox/walkahead.h) change nothing in what it finds."""
import shutil
import subprocess
import time

import pytest

from conftest import AIRLOCK

CACHED = "unchanged since an earlier run, from the walk cache"


def plans_in_own_mount_ns(airlock_env, setup, runs):
    """--print-plan `runs` times, in a mount namespace of the test's own
    where `setup` (sh) ran first."""
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1)")
    plan = "'%s' run --print-plan -- true && echo ---" % AIRLOCK
    script = "set -e\n" + setup + "\n" + "\n".join([plan] * runs)
    p = subprocess.run(["unshare", "-Urm", "sh", "-c", script],
                       cwd=str(airlock_env.cwd), env=airlock_env.env,
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0 and "unshare" in p.stderr:
        pytest.skip("user namespaces unavailable: " + p.stderr.strip())
    assert p.returncode == 0, p.stderr
    out = p.stdout.split("---\n")
    assert len(out) == runs + 1, p.stdout
    return out[:runs]


def test_walk_does_not_enter_a_mount_point_below_a_root(airlock_env):
    ws = airlock_env.cwd.resolve()
    (ws / "plain" / ".git").mkdir(parents=True)
    (ws / "mnt").mkdir()
    setup = ("mount -t tmpfs none mnt\n"
             "mkdir -p mnt/r/.git mnt/.git\n")
    for out in plans_in_own_mount_ns(airlock_env, setup, 2):
        assert "bind %s/plain/.git read-only" % ws in out, out
        assert "%s/mnt/r/.git" % ws not in out, out
        assert "%s/mnt/.git" % ws not in out, out


def test_walk_with_cache_and_lookahead_finds_what_the_first_walk_found(
        airlock_env):
    ws = airlock_env.cwd.resolve()
    for rel in ("a/.git", "b/c/.git", "d/e/f", "g/.airlock"):
        (ws / rel).mkdir(parents=True)
    first = airlock_env.run("run", "--print-plan", "--", "true")
    assert first.returncode == 0, first.stderr
    # Old enough to be cached (the racy cut-off is 2 s), then answered by
    # the cache, with the lookahead thread taking the lstat calls.
    time.sleep(3.2)
    plans = []
    for _ in range(3):
        p = airlock_env.run("run", "--print-plan", "--", "true")
        assert p.returncode == 0, p.stderr
        plans.append(p.stdout)
    assert CACHED in plans[-1], plans[-1]

    def protected(out):
        return sorted(line.split(". ", 1)[1] for line in out.splitlines()
                      if " read-only" in line and str(ws) in line)

    want = protected(first.stdout)
    assert "bind %s/a/.git read-only" % ws in want
    assert "bind %s/b/c/.git read-only" % ws in want
    for out in plans:
        assert protected(out) == want
