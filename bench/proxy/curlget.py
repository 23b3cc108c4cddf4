"""One HTTP(S) download with curl, timed by curl itself.

get(url, extra, size) runs `curl -o /dev/null` with the proxy environment
cleared (so only the options in extra choose a proxy), checks the status is
200 and that exactly size bytes arrived, and returns
{"bytes", "seconds", "mbps"} (10^6 bytes per second over curl's total time,
connection set-up included: negligible against a 1 GiB body).
"""
import os
import subprocess

TIMEOUT = 180
PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


class Failed(RuntimeError):
    """curl failed or the transfer was short."""


def env():
    return {k: v for k, v in os.environ.items()
            if k.lower() not in PROXY_VARS}


def get(url, extra, size, timeout=TIMEOUT):
    cmd = ["curl", "-sS", "--http1.1", "-o", "/dev/null",
           "--max-time", str(timeout), "-w",
           "%{http_code} %{size_download} %{time_total}"] + extra + [url]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, env=env(),
                           timeout=timeout + 30)
    except subprocess.TimeoutExpired:
        raise Failed("timed out: %s" % " ".join(cmd))
    try:
        code, got, seconds = r.stdout.split()
        got, seconds = int(got), float(seconds)
    except ValueError:
        raise Failed("%s: rc=%d %s" % (" ".join(cmd), r.returncode,
                                       r.stderr.strip()))
    if r.returncode != 0 or code != "200" or got != size or seconds <= 0:
        raise Failed("%s: rc=%d status %s, %d of %d bytes: %s"
                     % (" ".join(cmd), r.returncode, code, got, size,
                        r.stderr.strip()))
    return {"bytes": got, "seconds": seconds, "mbps": got / seconds / 1e6}
