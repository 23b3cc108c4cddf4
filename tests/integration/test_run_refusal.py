"""`airlock run` fails closed when the kernel refuses a sandbox mechanism.

User namespaces are switched off for one test without touching the
machine: inside a user namespace of the test's own, the per-namespace limit
user.max_user_namespaces is set to 0, which is what a sysctl on the host
would do to airlock.
"""
import shutil
import subprocess

import pytest

from conftest import AIRLOCK

SCRIPT = ('echo 0 > /proc/sys/user/max_user_namespaces || exit 90; '
          'exec "$AIRLOCK" run -- sh -c "echo ran unsandboxed"')


def test_no_user_namespaces_means_no_run(airlock_env):
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is not installed")
    env = dict(airlock_env.env, AIRLOCK=str(AIRLOCK))
    r = subprocess.run(["unshare", "-U", "--map-root-user", "sh", "-c", SCRIPT],
                       env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 125, (r.returncode, r.stderr)
    assert "ran unsandboxed" not in r.stdout
    assert "refusing to run without a sandbox" in r.stderr
    assert "user.max_user_namespaces" in r.stderr
