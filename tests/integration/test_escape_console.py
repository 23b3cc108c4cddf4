"""Attacks on the app-server's web console (doc/console.md, doc/threat-model.md):
a page of another origin in the same browser, a cookie stolen by another
local web server (cookies are not scoped to a port), forged Origin and
Host headers (DNS rebinding), a login without its own Origin (CSRF), a
spent login code, framing, and the headers every console answer must
carry.

The browser attacks run in a real headless Chromium that has logged in to
the console first, so that its session cookie exists and would be sent;
the others are made by hand with the exact headers a browser would not
let a page send."""
import http.server
import json
import re
import threading

import pytest
import websocket

from consoleutil import (browser, code_of, console_server, console_ws,
                         logged_in, login_http, open_console, request, wait)

ATTACK_HTML = """<!doctype html><html><head><title>attack</title>
<script src="/attack.js"></script></head><body><pre id="result"></pre>
<iframe id="frame" src="http://%(target)s/"></iframe></body></html>
"""

# Tries what a page of another origin could: a WebSocket to the console,
# with and without the console's subprotocol, and a login POST. Each try
# ends in "open" or "refused"; the results land in #result as JSON.
ATTACK_JS = """
const target = "%(target)s";
const results = {};
function done() {
  if (Object.keys(results).length === 3)
    document.getElementById("result").textContent = JSON.stringify(results);
}
function tryWs(name, protocols) {
  let ws;
  try { ws = new WebSocket("ws://" + target + "/", protocols); }
  catch (e) { results[name] = "refused"; done(); return; }
  ws.onopen = () => { results[name] = "open"; ws.close(); done(); };
  ws.onerror = () => { if (!results[name]) { results[name] = "refused"; done(); } };
}
window.addEventListener("DOMContentLoaded", () => {
  tryWs("plain", undefined);
  tryWs("console", ["airlock.console", "airlock.key.guess"]);
  fetch("http://" + target + "/login", {method: "POST", mode: "no-cors",
        headers: {"X-Airlock-Login": "guess"}})
    .then(() => { results.login = "sent"; done(); },
          () => { results.login = "refused"; done(); });
});
"""


class _Attacker(http.server.ThreadingHTTPServer):
    """A second local web server: serves the attack page and remembers the
    Cookie headers the browser sends it."""
    daemon_threads = True

    def __init__(self, target):
        self.target = target
        self.cookies = []
        super().__init__(("127.0.0.1", 0), _AttackHandler)


class _AttackHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        if self.headers.get("Cookie"):
            self.server.cookies.append(self.headers["Cookie"])
        pages = {"/": ("text/html", ATTACK_HTML),
                 "/attack.js": ("text/javascript", ATTACK_JS)}
        if self.path not in pages:
            self.send_error(404)
            return
        kind, text = pages[self.path]
        body = (text % {"target": self.server.target}).encode()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def attacker(target):
    srv = _Attacker(target)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True)
    t.start()
    return srv, t


def test_page_of_another_origin_cannot_open_the_websocket(airlock_env, tmp_path):
    with console_server(airlock_env) as srv, browser(tmp_path) as drv:
        # The browser is logged in: its cookie for 127.0.0.1 exists.
        assert open_console(drv, srv.url) == "connected"
        evil, t = attacker(srv.addr)
        try:
            drv.get("http://127.0.0.1:%d/" % evil.server_address[1])
            res = wait(drv, lambda d: d.find_element("id", "result").text,
                       "the attack page's results")
            logs = [e["message"] for e in drv.get_log("browser")]
            # The browser did send our cookie to the other port: only the
            # key the console page keeps for itself makes a session.
            leaked = [c for c in evil.cookies if "airlock_console_" in c]
        finally:
            evil.shutdown()
            evil.server_close()
            t.join(timeout=5)
        assert json.loads(res) == {"plain": "refused", "console": "refused",
                                   "login": "sent"}, res
        assert leaked, evil.cookies
        # Framing the console is refused by the browser.
        assert any("frame" in m and ("X-Frame-Options" in m or
                                     "frame-ancestors" in m) for m in logs), logs
        # The real console page in the same browser still connects.
        assert open_console(drv, "http://%s/" % srv.addr) == "connected"
    err = srv.stderr_text()
    origin = "http://127.0.0.1:%d" % evil.server_address[1]
    assert ("refused a request with Origin: %s (browsers may not connect)"
            % origin) in err, err


def _refused(fn):
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        fn().close()
    return e.value.status_code


def test_stolen_cookie_without_the_key_makes_no_session(airlock_env):
    with console_server(airlock_env) as srv:
        cookie, key = logged_in(srv)
        assert _refused(lambda: console_ws(srv.addr, cookie, None)) == 403
        assert _refused(lambda: console_ws(srv.addr, cookie, "x" * 43)) == 403
        assert _refused(lambda: console_ws(srv.addr, None, key)) == 403
        # Key and cookie of two different sessions do not make one.
        cookie2, key2 = logged_in(srv, srv.new_url())
        assert _refused(lambda: console_ws(srv.addr, cookie, key2)) == 403
        # Control: the pair works.
        console_ws(srv.addr, cookie, key).close()
        console_ws(srv.addr, cookie2, key2).close()


def test_session_from_another_origin_or_a_rebound_name_is_refused(airlock_env):
    with console_server(airlock_env) as srv:
        cookie, key = logged_in(srv)
        port = srv.addr.rsplit(":", 1)[1]
        # Another origin, with the session's cookie and key.
        assert _refused(lambda: console_ws(srv.addr, cookie, key,
                                           origin="http://127.0.0.1:1")) == 403
        # localhost is an origin of its own: the session was made for
        # 127.0.0.1.
        assert _refused(lambda: console_ws(
            srv.addr, cookie, key, origin="http://localhost:" + port,
            host="localhost:" + port)) == 403
        # DNS rebinding: a name the attacker controls, pointed at us; the
        # page's Origin and the Host agree, and still nothing is served.
        assert _refused(lambda: console_ws(
            srv.addr, cookie, key, origin="http://evil.test:" + port,
            host="evil.test:" + port)) == 403
        st, _, _ = request(srv.addr, "GET", "/", {"Host": "evil.test:" + port})
        assert st == 403
        console_ws(srv.addr, cookie, key).close()


def test_login_needs_its_own_origin_and_a_code_is_spent_once(airlock_env):
    with console_server(airlock_env) as srv:
        code = code_of(srv.url)
        port = srv.addr.rsplit(":", 1)[1]
        st, _, _ = request(srv.addr, "POST", "/login", {"X-Airlock-Login": code})
        assert st == 403  # no Origin: CSRF is not possible without one
        for origin, host in (("http://evil.example", None),
                             ("http://127.0.0.1:1", None),
                             ("http://evil.test:" + port, "evil.test:" + port)):
            h = {"Origin": origin, "X-Airlock-Login": code}
            if host:
                h["Host"] = host
            st, hdrs, _ = request(srv.addr, "POST", "/login", h)
            assert st == 403 and "set-cookie" not in hdrs, (origin, st)
        # None of those spent the code; the right one does, once.
        st, cookie, key, _ = login_http(srv.addr, code)
        assert st == 200 and cookie and key
        assert login_http(srv.addr, code)[0] == 403
        srv.proc.terminate()
        srv.proc.wait(timeout=10)
        err = srv.stderr_text()
    # The code was printed once, in the URL, and never logged again.
    assert err.count(code) == 1, err
    assert key not in err and cookie.split("=", 1)[1] not in err


def test_every_console_answer_carries_the_security_headers(airlock_env):
    with console_server(airlock_env) as srv:
        answers = [request(srv.addr, "GET", p)
                   for p in ("/", "/console.js", "/console.css", "/favicon.svg")]
        answers.append(request(srv.addr, "POST", "/login",
                               {"Origin": "http://" + srv.addr,
                                "X-Airlock-Login": "wrong"}))
        page = answers[0][2]
    for st, h, _ in answers:
        csp = h.get("content-security-policy", "")
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["default-src"] == "'none'", csp
        assert directives["script-src"] == "'self'", csp
        assert directives["connect-src"] == "'self'", csp
        assert directives["frame-ancestors"] == "'none'", csp
        assert "unsafe" not in csp, csp
        assert h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "no-referrer"
        assert h["cache-control"] == "no-store"
        assert h["x-content-type-options"] == "nosniff"
    # No inline script or style in the page (the CSP would block it).
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), page
    assert not re.search(r"\sstyle=|<style", page), page
    assert not re.search(r"\son[a-z]+=", page), page


def test_bearer_clients_with_an_origin_are_still_refused(airlock_env):
    with console_server(airlock_env) as srv:
        token = (airlock_env.home / "app-server.token").read_text().strip()
        # A valid bearer token from the console's own origin: 403 as before.
        with pytest.raises(websocket.WebSocketBadStatusException) as e:
            websocket.create_connection(
                "ws://%s/" % srv.addr, timeout=10, origin="http://" + srv.addr,
                header=["Authorization: Bearer " + token])
        assert e.value.status_code == 403
