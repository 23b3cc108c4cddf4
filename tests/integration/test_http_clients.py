"""Real clients through the HTTP proxy listener: curl (plain, POST,
chunked upload, a 20 MB checksummed download, CONNECT tunnels with plain
HTTP and real TLS), wget, git (dumb HTTP protocol), python requests and
node undici@6 ProxyAgent. Loopback only.
"""
import hashlib
import json
import pathlib
import ssl
import subprocess

import pytest

from httputil import (assert_clean_exit, big, BIG_SIZE, http_config, origin,
                      sanitizer_env)
from proxyutil import start_proxy

NODE_DIR = pathlib.Path(__file__).resolve().parent / "node"


@pytest.fixture
def proxy(airlock_env):
    p = start_proxy(airlock_env, http_config(), sanitizer_env())
    yield p
    assert_clean_exit(p)


@pytest.fixture
def o():
    with origin() as srv:
        yield srv


def purl(p):
    return "http://%s:%d" % p.http


def curl(*args, timeout=60):
    return subprocess.run(["curl", "-sS", "--max-time", "30", *args],
                          capture_output=True, timeout=timeout)


# --- curl -------------------------------------------------------------------

def test_curl_get(proxy, o):
    r = curl("-x", purl(proxy), o.url("/hi"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hello from origin\n"


def test_curl_head(proxy, o):
    r = curl("-I", "-x", purl(proxy), o.url("/"))
    assert r.returncode == 0, r.stderr
    assert b"HTTP/1.1 200" in r.stdout
    assert b"Content-Length: 18" in r.stdout


def test_curl_post_body_in_full_mode(proxy, o):
    body = b"a=1&b=" + b"z" * 100000
    r = subprocess.run(["curl", "-sS", "--max-time", "30", "-x", purl(proxy),
                        "--data-binary", "@-", o.url("/echo")],
                       input=body, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["method"] == "POST"
    assert got["body_sha256"] == hashlib.sha256(body).hexdigest()


def test_curl_chunked_upload(proxy, o):
    body = bytes(range(256)) * 1000
    r = subprocess.run(["curl", "-sS", "--max-time", "30", "-x", purl(proxy),
                        "-H", "Transfer-Encoding: chunked",
                        "--data-binary", "@-", o.url("/echo")],
                       input=body, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["body_len"] == len(body)
    assert got["body_sha256"] == hashlib.sha256(body).hexdigest()
    te = [v for k, v in got["headers"] if k.lower() == "transfer-encoding"]
    assert te == ["chunked"]


def test_curl_20mb_download_checksummed(proxy, o, tmp_path):
    out = tmp_path / "big"
    r = curl("-x", purl(proxy), "-o", str(out), o.url("/big"))
    assert r.returncode == 0, r.stderr
    data = out.read_bytes()
    assert len(data) == BIG_SIZE
    assert hashlib.sha256(data).digest() == hashlib.sha256(big()).digest()


def test_curl_connect_tunnel_with_plain_http(proxy, o):
    r = curl("-p", "-x", purl(proxy), o.url("/tunnelled"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hello from origin\n"
    assert o.requests[0][1] == "/tunnelled"


@pytest.fixture
def tls_origin(tmp_path):
    """An HTTPS origin on 127.0.0.1 with a self-signed cert made here."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "1",
                    "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=30)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    with origin() as srv:
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        srv.cert = cert
        yield srv


def test_curl_https_through_connect(proxy, tls_origin):
    url = "https://127.0.0.1:%d/secure" % tls_origin.port
    r = curl("--cacert", str(tls_origin.cert), "-x", purl(proxy), url)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hello from origin\n"
    assert tls_origin.count == 1


# --- wget, git, requests, node ----------------------------------------------

def test_wget_through_proxy(proxy, o, tmp_path):
    out = tmp_path / "w"
    r = subprocess.run(["wget", "-q", "-T", "30", "-t", "1", "-O", str(out),
                        "-e", "use_proxy=yes", "-e",
                        "http_proxy=" + purl(proxy), o.url("/w")],
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == b"hello from origin\n"


def git(*args, cwd=None):
    r = subprocess.run(["git", "-c", "init.defaultBranch=main",
                        "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       cwd=cwd, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r


def test_git_clone_over_dumb_http(proxy, tmp_path):
    work = tmp_path / "src"
    work.mkdir()
    git("init", "-q", cwd=work)
    for i in range(20):
        (work / ("f%d.txt" % i)).write_text("line %d\n" % i * (i + 1))
    git("add", ".", cwd=work)
    git("commit", "-q", "-m", "first", cwd=work)
    serve = tmp_path / "serve"
    serve.mkdir()
    git("clone", "-q", "--bare", str(work), str(serve / "repo.git"))
    git("update-server-info", cwd=serve / "repo.git")
    with origin(static=serve) as srv:
        dst = tmp_path / "dst"
        git("-c", "http.proxy=" + purl(proxy), "clone", "-q",
            srv.url("/repo.git"), str(dst))
        assert srv.count > 0
    assert (dst / "f7.txt").read_text() == (work / "f7.txt").read_text()
    head = git("rev-parse", "HEAD", cwd=dst).stdout
    assert head == git("rev-parse", "HEAD", cwd=work).stdout


def test_python_requests_through_proxy(proxy, o):
    import requests
    s = requests.Session()
    s.trust_env = False
    r = s.get(o.url("/echo"), proxies={"http": purl(proxy)}, timeout=30)
    assert r.status_code == 200
    assert r.json()["path"] == "/echo"
    r = s.post(o.url("/echo"), data=b"xyz", proxies={"http": purl(proxy)},
               timeout=30)
    assert r.json()["body_len"] == 3


@pytest.fixture(scope="session")
def node_undici():
    """tests/integration/node with undici installed. scripts/install-deps
    installs it (the npm registry is set-up, not test, traffic: tests talk
    to loopback only), so a missing install is a failure, not a skip."""
    if not (NODE_DIR / "node_modules" / "undici").is_dir():
        pytest.fail("undici is not installed in %s; run scripts/install-deps"
                    % NODE_DIR)
    return NODE_DIR / "fetch.mjs"


def test_node_undici_proxyagent_fetch(proxy, o, node_undici):
    r = subprocess.run(["node", str(node_undici), purl(proxy), o.url("/n")],
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    status, _, body = r.stdout.partition(b"\n")
    assert status == b"200"
    assert body == b"hello from origin\n"
