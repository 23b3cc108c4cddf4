"""Helpers for the web console tests (doc/console.md).

- console_server(): `airlock app-server` on an ephemeral loopback port,
  with its stderr read by a thread, so that the login URLs it prints (at
  start and on SIGUSR1) can be waited for with a bound.
- browser(): a headless Chromium driven by selenium through Debian's
  chromedriver, with a fresh profile, background networking off, loopback
  only. need_browser() fails (in CI, where scripts/install-deps --test
  installs it) or skips (elsewhere, saying what to install) when it is
  missing.
- login_http() / console_ws(): the page's login and WebSocket done by hand,
  for attacks no browser would make (forged Origin headers, stolen
  cookies)."""
import contextlib
import http.client
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import threading

import pytest
import websocket

from conftest import AIRLOCK

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
WAIT = 20  # seconds any one browser-side wait may take at most
URL_RE = re.compile(r"console: (http://\S+/#code=[A-Za-z0-9_-]+)")


def need_browser():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("python3-selenium")
    if not missing:
        return
    msg = ("%s not installed: scripts/install-deps --test installs chromium, "
           "chromium-driver and python3-selenium" % ", ".join(missing))
    if os.environ.get("CI"):
        pytest.fail(msg)
    pytest.skip(msg)


class Server:
    """A running app-server: .proc, .addr ('127.0.0.1:PORT'), .url (the
    first login URL)."""

    def __init__(self, proc):
        self.proc = proc
        self.lines = queue.Queue()
        self.seen = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.addr = None
        self.url = None

    def _read(self):
        for line in self.proc.stderr:
            self.lines.put(line)
        self.lines.put(None)

    def wait_line(self, pattern, timeout=WAIT):
        """The first match of pattern in a line not yet looked at."""
        rx = re.compile(pattern)
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError("no line matching %r in:\n%s"
                                     % (pattern, "".join(self.seen)))
            if line is None:
                raise AssertionError("app-server ended:\n" + "".join(self.seen))
            self.seen.append(line)
            m = rx.search(line)
            if m:
                return m

    def new_url(self):
        """SIGUSR1: the server prints a fresh login URL."""
        self.proc.send_signal(signal.SIGUSR1)
        return self.wait_line(URL_RE.pattern).group(1)

    def stderr_text(self):
        """Everything the server wrote to stderr until it ended."""
        self._reader.join(timeout=10)
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.seen.append(line)
        return "".join(self.seen)


@contextlib.contextmanager
def console_server(env, *args):
    p = subprocess.Popen([str(AIRLOCK), "app-server", "--listen",
                          "ws://127.0.0.1:0", *[str(a) for a in args]],
                         cwd=str(env.cwd), env=dict(env.env),
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    s = Server(p)
    try:
        s.addr = s.wait_line(r"listening on: ws://(\S+)").group(1)
        if "--no-console" not in args:
            s.url = s.wait_line(URL_RE.pattern).group(1)
        yield s
    finally:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@contextlib.contextmanager
def browser(tmp_path, *extra):
    """A headless Chromium with a fresh profile; yields the driver."""
    need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
              "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync",
              "--disable-default-apps", "--disable-extensions",
              "--disable-dev-shm-usage", "--window-size=1280,860",
              "--user-data-dir=%s" % profile, *extra):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    svc = Service(CHROMEDRIVER, log_path=str(tmp_path / "chromedriver.log"))
    drv = webdriver.Chrome(service=svc, options=o)
    drv.set_page_load_timeout(WAIT)
    drv.set_script_timeout(WAIT)
    try:
        yield drv
    finally:
        drv.quit()


def wait(drv, cond, what, timeout=WAIT):
    """Waits (bounded) until cond(drv) is truthy; its value."""
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(drv, timeout, poll_frequency=0.05).until(cond)
    except Exception:
        logs = []
        try:
            logs = drv.get_log("browser")
        except Exception:
            pass
        raise AssertionError("timed out waiting for %s; browser log: %r"
                             % (what, logs))


def status(drv):
    return drv.find_element("id", "status").get_attribute("data-state")


def open_console(drv, url):
    """Loads url (a login URL or the page) afresh and waits until the page
    is connected or refused; that state."""
    drv.get("about:blank")  # a fragment change alone would not reload
    drv.get(url)
    return wait(drv, lambda d: status(d) if status(d) in
                ("connected", "refused") else None, "the console to connect")


# --- by hand ----------------------------------------------------------------------

def request(addr, method, path, headers=None):
    """(status, {lower-case header: value}, body text); headers may repeat
    a name (set-cookie) only in the answer, where the last one wins."""
    host, port = addr.rsplit(":", 1)
    c = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, \
            r.read().decode()
    finally:
        c.close()


def code_of(url):
    return url.rsplit("#code=", 1)[1]


def login_http(addr, code, origin=None):
    """POST /login as the page does; (status, cookie 'name=value' or None,
    key or None, body)."""
    h = {"Origin": origin or "http://" + addr, "X-Airlock-Login": code}
    st, hdrs, body = request(addr, "POST", "/login", h)
    if st != 200:
        return st, None, None, body
    cookie = hdrs["set-cookie"].split(";", 1)[0]
    return st, cookie, json.loads(body)["key"], body


def logged_in(srv, url=None):
    """Logs in with the code of url (the server's first login URL by
    default), which must succeed; (cookie, key)."""
    st, cookie, key, body = login_http(srv.addr, code_of(url or srv.url))
    assert st == 200, body
    return cookie, key


def console_ws(addr, cookie, key, origin=None, host=None):
    """A WebSocket as the page opens it: Origin, the session cookie, and the
    key as a subprotocol."""
    protos = ["airlock.console"] + (["airlock.key." + key] if key else [])
    kw = {}
    if host is not None:
        kw["host"] = host
    return websocket.create_connection(
        "ws://%s/" % addr, timeout=20, origin=origin or "http://" + addr,
        cookie=cookie, subprotocols=protos, **kw)
