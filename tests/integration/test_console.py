"""The web console (doc/console.md), in a real headless Chromium against a
real app-server: the one-time login URL, the live feed of decisions of a
real command/exec running curl through the embedded proxy to a local
origin, approvals answered by clicking, the running commands with kill,
and the policy views with a refusal a requirement makes.

The origin listens on 127.0.0.1; its exact address and port are
allowlisted, `denied.test` (which build/tests/fakedns.so resolves to
127.0.0.1) is denied, and `api.test` is an allowlist miss a person is asked
about. The command runner is a python websocket-client with an exec-only
token; the browser's session is the approver. Every wait is bounded;
screenshots of the three views go to the test's temporary directory."""
import re
import socket

from appserverutil import connect, recv, recv_id, send
from conftest import fake_dns_env
from consoleutil import (browser, code_of, console_server, console_ws,
                         logged_in, login_http, open_console, request, wait)
from runutil import static_origin
from test_approvals import hello, roles

NAME = "api.test"
DENIED = "denied.test"
BODY = b"console-origin\n"


def net_config(env, extra=""):
    """Network on; 127.0.0.1:PORT allowed, denied.test denied, api.test a
    miss. Returns the origin's bound socket."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    env.write("home/config.toml",
              'approval_policy = "on-request"\n' + extra +
              "[sandbox_workspace_write]\nnetwork_access = true\n"
              "[permissions.network]\n"
              "allowed_domains = [\"127.0.0.1:%d\"]\n"
              "denied_domains = [\"%s\"]\n" % (port, DENIED))
    env.env.update(fake_dns_env(env, [(NAME, "127.0.0.1"),
                                      (DENIED, "127.0.0.1")]))
    return sock


def curl_codes(*urls):
    one = "curl -s -m 60 -o /dev/null -w '%%{http_code}\\n' %s"
    return ["sh", "-c", "; ".join(one % u for u in urls)]


def row(drv, decision, host):
    sel = '#feed-body tr[data-decision="%s"][data-host="%s"]' % (decision, host)
    rows = drv.find_elements("css selector", sel)
    return rows[0] if rows else None


def choose(drv, select_id, value):
    from selenium.webdriver.support.ui import Select

    Select(drv.find_element("id", select_id)).select_by_value(value)


def approval_card(drv):
    cards = drv.find_elements("css selector", "#approvals .approval")
    return cards[0] if cards and cards[0].is_displayed() else None


def click_answer(drv, decision):
    card = wait(drv, approval_card, "an approval to appear")
    card.find_element("css selector",
                      'button[data-decision="%s"]' % decision).click()
    wait(drv, lambda d: approval_card(d) is None, "the approval to go")


# --- login ---------------------------------------------------------------------------

def test_login_url_logs_in_once_and_a_wrong_or_reused_code_does_not(airlock_env, tmp_path):
    with console_server(airlock_env) as srv, browser(tmp_path) as drv:
        bad = srv.url[:-4] + ("AAAA" if not srv.url.endswith("AAAA") else "BBBB")
        assert open_console(drv, bad) == "refused"
        assert "login refused" in drv.find_element("id", "login-error").text

        assert open_console(drv, srv.url) == "connected"
        # The code left the address bar and the history at once.
        assert "code=" not in drv.current_url
        cookies = [c for c in drv.get_cookies()
                   if c["name"].startswith("airlock_console_")]
        assert len(cookies) == 1, cookies
        c = cookies[0]
        assert c["name"] == "airlock_console_" + srv.addr.rsplit(":", 1)[1]
        assert (c["httpOnly"], c["sameSite"], c["path"]) == (True, "Strict", "/")
        assert "expiry" not in c  # a session cookie: gone with the browser
        assert len(c["value"]) == 43  # 256 random bits, base64url
        # The page's script cannot read it.
        assert "airlock_console" not in drv.execute_script("return document.cookie")

        # Another browser profile with the same URL: the code is spent.
        drv.delete_all_cookies()
        drv.execute_script("sessionStorage.clear()")
        assert open_console(drv, srv.url) == "refused"
        assert "login refused" in drv.find_element("id", "login-error").text

        # SIGUSR1 prints a fresh URL, which works.
        assert open_console(drv, srv.new_url()) == "connected"
        # Nothing on the page broke its Content-Security-Policy.
        logs = [entry["message"] for entry in drv.get_log("browser")]
        assert not [m for m in logs if "Content Security Policy" in m], logs
    err = srv.stderr_text()
    assert err.count("console login: a new browser session") == 2, err
    assert err.count("console login refused") == 2, err


def test_a_new_url_retires_the_unused_one(airlock_env):
    with console_server(airlock_env) as srv:
        old = code_of(srv.url)
        new = code_of(srv.new_url())
        assert login_http(srv.addr, old)[0] == 403
        assert login_http(srv.addr, new)[0] == 200
        assert login_http(srv.addr, new)[0] == 403


# --- live feed and approvals ----------------------------------------------------------

def test_feed_shows_allowed_and_refused_and_clicks_answer_approvals(airlock_env, tmp_path):
    flags, ext, _ = roles(airlock_env)
    sock = net_config(airlock_env)
    with static_origin(tmp_path, BODY, sock) as origin, \
            console_server(airlock_env, *flags) as srv, browser(tmp_path) as drv:
        port = origin.server_address[1]
        assert open_console(drv, srv.url) == "connected"
        runner = connect(srv.addr, ext)
        hello(runner, "runner")

        # One request the allowlist lets through, one the denylist refuses.
        send(runner, {"id": 1, "method": "command/exec",
                      "params": {"command": curl_codes(
                          "http://127.0.0.1:%d/" % port,
                          "http://%s:%d/" % (DENIED, port)),
                          "network": True, "processId": "fetch"}})
        r = recv_id(runner, 1)
        assert r["result"]["stdout"] == "200\n403\n", r
        # The notifications went out before the command's answer; the
        # page shows them (bounded wait).
        ok = wait(drv, lambda d: row(d, "allow", "127.0.0.1"), "the allowed row")
        no = wait(drv, lambda d: row(d, "deny", DENIED), "the refused row")
        cells = [td.text for td in ok.find_elements("tag name", "td")]
        assert cells[1:7] == ["allowed", "127.0.0.1", str(port), "http", "GET",
                              "allow"], cells
        assert cells[7].startswith("fetch: sh -c curl"), cells
        cells = [td.text for td in no.find_elements("tag name", "td")]
        assert cells[1:7] == ["refused", DENIED, str(port), "http", "GET",
                              "denied"], cells

        # Filters and pause are the page's own.
        choose(drv, "feed-decision", "deny")
        wait(drv, lambda d: row(d, "allow", "127.0.0.1") is None, "the filter")
        assert row(drv, "deny", DENIED) is not None
        choose(drv, "feed-decision", "")
        wait(drv, lambda d: row(d, "allow", "127.0.0.1"), "the filter to clear")

        # An allowlist miss waits for the person; "Allow once" lets it pass.
        send(runner, {"id": 2, "method": "command/exec",
                      "params": {"command": curl_codes("http://%s:%d/" % (NAME, port)),
                                 "network": True, "processId": "ask"}})
        card = wait(drv, approval_card, "the approval")
        assert "%s:%d" % (NAME, port) in card.text
        assert "not on the allowlist" in card.text
        # The sandbox's process behind it: curl, started by sh.
        assert re.search(r"process: pid \d+: curl ", card.text), card.text
        buttons = [b.get_attribute("data-decision")
                   for b in card.find_elements("tag name", "button")]
        assert buttons == ["allow_once", "allow_session", "allow_always",
                           "deny", "deny_always"]
        drv.save_screenshot(str(tmp_path / "console-feed.png"))
        click_answer(drv, "allow_once")
        assert recv_id(runner, 2)["result"]["stdout"] == "200\n"

        # Once was once: asked again, and "Deny" gives the proxy's 403.
        send(runner, {"id": 3, "method": "command/exec",
                      "params": {"command": curl_codes("http://%s:%d/" % (NAME, port)),
                                 "network": True}})
        click_answer(drv, "deny")
        assert recv_id(runner, 3)["result"]["stdout"] == "403\n"
        wait(drv, lambda d: row(d, "deny", NAME), "the denied row")

        # Pause holds new rows back; resume shows them.
        drv.find_element("id", "feed-pause").click()
        before = len(drv.find_elements("css selector", "#feed-body tr"))
        send(runner, {"id": 4, "method": "command/exec",
                      "params": {"command": curl_codes("http://127.0.0.1:%d/" % port),
                                 "network": True}})
        assert recv_id(runner, 4)["result"]["stdout"] == "200\n"
        wait(drv, lambda d: "1 new" in d.find_element("id", "feed-count").text,
             "the paused count")
        assert len(drv.find_elements("css selector", "#feed-body tr")) == before
        drv.find_element("id", "feed-pause").click()
        wait(drv, lambda d: len(d.find_elements("css selector", "#feed-body tr"))
             == before + 1, "the held row")


def test_commands_view_lists_a_running_command_and_kills_it(airlock_env, tmp_path):
    flags, ext, _ = roles(airlock_env)
    with console_server(airlock_env, *flags) as srv, browser(tmp_path) as drv:
        assert open_console(drv, srv.url) == "connected"
        runner = connect(srv.addr, ext)
        hello(runner, "runner")
        send(runner, {"id": 1, "method": "command/exec",
                      "params": {"command": ["sleep", "120"], "processId": "nap"}})
        drv.find_element("id", "tab-commands").click()
        tr = wait(drv, lambda d: (d.find_elements("css selector",
                                                  "#commands-body tr") or [None])[0],
                  "the running command")
        cells = [td.text for td in tr.find_elements("tag name", "td")]
        assert cells[0] == "nap" and cells[2] == "sleep 120", cells
        assert cells[4] == "runner", cells
        drv.save_screenshot(str(tmp_path / "console-commands.png"))
        tr.find_element("css selector", "button[data-pid]").click()
        r = recv_id(runner, 1)
        assert r["result"]["exitCode"] == 137, r
        wait(drv, lambda d: not d.find_elements("css selector", "#commands-body tr"),
             "the list to empty")


def test_policy_view_shows_a_refused_edit_and_revokes_an_approval(airlock_env, tmp_path):
    airlock_env.write("system/requirements.toml",
                      "[permissions.network]\nmode = \"limited\"\n")
    airlock_env.write("home/approvals.toml",
                      "[permissions.network]\nallowed_domains = [\"kept.test:443\", "
                      "\"gone.test:443\"]\n")
    with console_server(airlock_env) as srv, browser(tmp_path) as drv:
        assert open_console(drv, srv.url) == "connected"
        drv.find_element("id", "tab-policy").click()
        wait(drv, lambda d: d.find_elements("css selector",
                                            '#persisted-body tr[data-entry="gone.test:443"]'),
             "the remembered approvals")
        # A mode the requirement forbids: refused, and the page says which.
        choose(drv, "mode-select", "full")
        drv.find_element("id", "mode-apply").click()
        err = wait(drv, lambda d: d.find_element("id", "policy-error").text,
                   "the refusal")
        assert "network policy update refused" in err, err
        assert "requirements.toml" in err, err
        drv.save_screenshot(str(tmp_path / "console-policy.png"))
        # An allowed edit goes through and shows.
        drv.find_element("id", "allowed-input").send_keys("pypi.org")
        drv.find_element("id", "allowed-add").click()
        wait(drv, lambda d: d.find_elements("css selector",
                                            '#allowed-list li[data-entry="pypi.org"]'),
             "the new entry")
        assert not drv.find_element("id", "policy-error").is_displayed()
        drv.find_element("css selector",
                         '#persisted-body button[data-entry="gone.test:443"]').click()
        wait(drv, lambda d: not d.find_elements(
            "css selector", '#persisted-body tr[data-entry="gone.test:443"]'),
            "the revoked entry to go")
    text = (airlock_env.home / "approvals.toml").read_text()
    assert "gone.test:443" not in text and "kept.test:443" in text


# --- roles and switches (no browser needed) -------------------------------------------

def _session(srv):
    cookie, key = logged_in(srv)
    ws = console_ws(srv.addr, cookie, key)
    send(ws, {"id": 0, "method": "initialize",
              "params": {"clientInfo": {"name": "console", "version": "1"}}})
    assert "result" in recv(ws)
    return ws


def test_console_session_approves_but_runs_nothing_by_default(airlock_env):
    with console_server(airlock_env) as srv:
        ws = _session(srv)
        send(ws, {"id": 1, "method": "command/exec",
                  "params": {"command": ["true"]}})
        r = recv_id(ws, 1)
        assert r["error"]["message"].startswith(
            "command/exec needs the exec scope"), r
        send(ws, {"id": 2, "method": "approvals/list"})
        assert recv_id(ws, 2)["result"]["approvals"] == []


def test_console_roles_approve_exec_runs_commands(airlock_env):
    with console_server(airlock_env, "--console-roles", "approve,exec") as srv:
        ws = _session(srv)
        send(ws, {"id": 1, "method": "command/exec",
                  "params": {"command": ["echo", "hi"]}})
        assert recv_id(ws, 1)["result"]["stdout"] == "hi\n"


def test_console_roles_value_is_checked(airlock_env):
    r = airlock_env.run("app-server", "--listen", "ws://127.0.0.1:0",
                        "--console-roles", "exec")
    assert r.returncode == 2
    assert ("invalid value 'exec' for '--console-roles <ROLES>' [possible "
            "values: approve, approve,exec]") in r.stderr


def test_no_console_serves_no_page_and_prints_no_url(airlock_env):
    with console_server(airlock_env, "--no-console") as srv:
        st, _, _ = request(srv.addr, "GET", "/")
        assert st == 400
        st, _, _ = request(srv.addr, "POST", "/login",
                           {"Origin": "http://" + srv.addr, "X-Airlock-Login": "x"})
        assert st == 403
        srv.proc.terminate()
        srv.proc.wait(timeout=10)
        assert "#code=" not in srv.stderr_text()
