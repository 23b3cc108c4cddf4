"""Helpers for the transparent-routing tests: clients inside `airlock run`
that know nothing of proxies, reaching test origins on the host.

An origin listens on a loopback address of its own (127.77.x.y, see
test_mitm.fresh_ip) on an ephemeral port; the fake resolver
(tests/integration/fakedns.c) preloaded into airlock resolves the test's
names to it and turns airlock's connect to ip:80 (or :443, :9418) into
one to that port. Inside the sandbox the names resolve through the stub
resolver to synthetic addresses, and the sandboxed programs run without
the fake resolver and without any proxy variable."""
import contextlib
import textwrap

from conftest import fake_dns_env, redirect_port
from httputil import origin, sanitizer_env
from test_mitm import fresh_ip

NAME = "origin.transp.test"

# The sandboxed command's prefix: no preloaded resolver, no proxy.
PLAIN = ["env", "-u", "LD_PRELOAD", "-u", "FAKEDNS_HOSTS", "-u",
         "FAKEDNS_REDIRECTS", "-u", "http_proxy", "-u", "HTTP_PROXY", "-u",
         "https_proxy", "-u", "HTTPS_PROXY", "-u", "ALL_PROXY", "-u",
         "all_proxy", "-u", "NODE_USE_ENV_PROXY"]


@contextlib.contextmanager
def named_origin(port=80, static=None):
    """httputil's origin on a fresh address, standing for ip:port."""
    ip = fresh_ip()
    with origin(host=ip, port=0, static=static) as o:
        redirect_port(ip, port, o.port)
        yield ip, o


def run(env, ip, cmd, *flags, mode="full", names=(NAME,), ports=(80,),
        timeout=60):
    """`airlock run --network` with names allowed and resolving to ip
    (whose ports are allowed too: they are local addresses), running cmd
    as a proxy-unaware program."""
    e = dict(fake_dns_env(env, [(n, ip) for n in names]), **sanitizer_env())
    args = ["run", "--network", "--mode", mode]
    for n in names:
        args += ["--allow", n]
    for p in ports:
        args += ["--allow", "%s:%d" % (ip, p)]
    return env.run(*args, *flags, "--", *PLAIN, *cmd, env=e,
                   timeout=timeout)


def sh(script):
    return ["sh", "-c", textwrap.dedent(script)]


def py(code):
    return ["/usr/bin/python3", "-c", textwrap.dedent(code)]
