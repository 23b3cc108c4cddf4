"""Shared fixtures for airlock's integration tests.

Every test gets its own AIRLOCK_HOME and AIRLOCK_SYSTEM_DIR under a pytest
temporary directory, so nothing on the machine (no ~/.airlock, no
/etc/airlock) can change the outcome, and a `run` helper that invokes the
real binary with that environment.
"""
import atexit
import os
import pathlib
import subprocess
import tempfile

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("AIRLOCK_BUILD", REPO / "build"))
AIRLOCK = BUILD / "airlock"
FAKEDNS = BUILD / "tests" / "fakedns.so"


# Connect redirects for every airlock process that uses the fake resolver
# (tests/integration/fakedns.c): `IP PORT NEWPORT` lines, one file per
# pytest session.
REDIRECTS = pathlib.Path(tempfile.gettempdir()) / (
    "airlock-test-redirects-%d" % os.getpid())
atexit.register(lambda: REDIRECTS.unlink(missing_ok=True))


def redirect_port(ip, port, to):
    """Makes airlock processes that use the fake resolver connect to
    ip:to when they dial ip:port (a test TLS origin on an ephemeral port
    stands in for port 443, which only root could bind)."""
    with open(REDIRECTS, "a") as f:
        f.write("%s %d %d\n" % (ip, port, to))


def fake_dns_env(env, pairs):
    """Env vars that make an airlock process resolve names from pairs
    (name, ip) only; every other name fails and no query leaves the
    machine (tests/integration/fakedns.c)."""
    if not FAKEDNS.exists():
        pytest.fail(f"{FAKEDNS} is not built; run make integration")
    path = env.root / "fakedns_hosts"
    path.write_text("".join(f"{ip} {name}\n" for name, ip in pairs))
    # ASan wants to be first in the preload order; ours is harmless.
    return {"LD_PRELOAD": str(FAKEDNS), "FAKEDNS_HOSTS": str(path),
            "FAKEDNS_REDIRECTS": str(REDIRECTS),
            "ASAN_OPTIONS": "verify_asan_link_order=0"}


class Env:
    """A sandboxed set of airlock directories plus a runner."""

    def __init__(self, tmp: pathlib.Path):
        self.root = tmp
        self.home = tmp / "home"
        self.system = tmp / "system"
        self.cwd = tmp / "work"
        for d in (self.home, self.system, self.cwd):
            d.mkdir(parents=True, exist_ok=True)
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("AIRLOCK_") and not k.lower().endswith("_proxy")
        }
        self.env["AIRLOCK_HOME"] = str(self.home)
        self.env["AIRLOCK_SYSTEM_DIR"] = str(self.system)

    def write(self, rel: str, text: str) -> pathlib.Path:
        """Write text to a path relative to the temporary root."""
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return p

    def run(self, *args, cwd=None, env=None, input=None, timeout=30):
        e = dict(self.env)
        if env:
            e.update(env)
        return subprocess.run(
            [str(AIRLOCK), *[str(a) for a in args]],
            cwd=str(cwd or self.cwd),
            env=e,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


@pytest.fixture
def airlock_env(tmp_path):
    if not AIRLOCK.exists():
        pytest.fail(f"{AIRLOCK} is not built; run make first")
    return Env(tmp_path)


@pytest.fixture
def airlock_bin():
    return AIRLOCK
