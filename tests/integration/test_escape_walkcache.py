"""Attacks on the repository walk's cache ($AIRLOCK_HOME/cache/walk): a
sandboxed command must not be able to make a later run skip a repository
it planted, read or change the cache, or break a run by damaging it."""
import os
import time

from runutil import PY

CACHED = "unchanged since an earlier run, from the walk cache"
# Directories changed within this many seconds of a walk are not cached
# (the racy cut-off, sandbox/walkcache.h), plus a margin.
RACY_S = 3.2


def plan(airlock_env):
    p = airlock_env.run("run", "--print-plan", "--", "true")
    assert p.returncode == 0, p.stderr
    return p.stdout


def inside(airlock_env, code):
    p = airlock_env.run("run", "--", PY, "-c", code)
    return p


def cache_file(airlock_env):
    return airlock_env.home / "cache" / "walk"


def cached_tree(airlock_env):
    """A workspace with sub/proj (no repository) that the cache knows."""
    airlock_env.env.pop("TMPDIR", None)
    proj = airlock_env.cwd / "sub" / "proj"
    (proj / "src").mkdir(parents=True)
    plan(airlock_env)
    # Old enough to be cached, then cached by a second walk.
    time.sleep(RACY_S)
    plan(airlock_env)
    out = plan(airlock_env)
    assert CACHED in out, out
    return proj


def test_escape_walkcache_repository_planted_in_a_cached_directory_is_protected(
        airlock_env):
    proj = cached_tree(airlock_env)
    st = os.lstat(proj)
    # Inside: plant a repository in a directory the cache knows empty of
    # one, and put the directory's times back as they were.
    p = inside(airlock_env,
               "import os\n"
               "os.makedirs('sub/proj/.git/hooks')\n"
               "open('sub/proj/.git/config', 'w').write('[core]\\n')\n"
               "os.utime('sub/proj', ns=(%d, %d))\n"
               % (st.st_atime_ns, st.st_mtime_ns))
    assert p.returncode == 0, p.stderr
    assert os.lstat(proj).st_mtime_ns == st.st_mtime_ns
    out = plan(airlock_env)
    assert "bind %s/.git read-only" % proj.resolve() in out
    # And the next run cannot write the planted repository's hooks.
    p = inside(airlock_env,
               "import errno\n"
               "try:\n"
               "    open('sub/proj/.git/hooks/post-checkout', 'w')\n"
               "    print('OK')\n"
               "except OSError as e:\n"
               "    print(errno.errorcode[e.errno])\n")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "EROFS"
    assert not (proj / ".git" / "hooks" / "post-checkout").exists()


def test_escape_walkcache_file_is_out_of_reach_inside(airlock_env):
    cached_tree(airlock_env)
    path = cache_file(airlock_env)
    before = path.read_bytes()
    assert before.startswith(b"airlock-walk-cache 1 ")
    p = inside(airlock_env,
               "import errno, os\n"
               "p = %r\n"
               "for mode in ('rb', 'r+b', 'wb'):\n"
               "    try:\n"
               "        open(p, mode)\n"
               "        print('OK')\n"
               "    except OSError as e:\n"
               "        print(errno.errorcode[e.errno])\n"
               "try:\n"
               "    os.rename(p, p + '.x')\n"
               "    print('OK')\n"
               "except OSError as e:\n"
               "    print(errno.errorcode[e.errno])\n" % str(path))
    assert p.returncode == 0, p.stderr
    assert "OK" not in p.stdout.split(), p.stdout
    assert path.read_bytes() == before


def test_escape_walkcache_damaged_cache_is_read_as_none(airlock_env):
    airlock_env.env.pop("TMPDIR", None)
    repo = airlock_env.cwd / "lib" / "vendored"
    (repo / ".git").mkdir(parents=True)
    path = cache_file(airlock_env)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A record claiming the workspace holds nothing, with a wrong
    # checksum; then one with a right checksum in a format of another
    # version; then a FIFO (a read would block).
    st = os.lstat(airlock_env.cwd)
    body = b"R %d %d %d %d\0%s\0\0" % (st.st_dev, st.st_ino, st.st_ctime_ns
                                        // 10**9, st.st_ctime_ns % 10**9,
                                        str(airlock_env.cwd).encode())
    for bad in (b"airlock-walk-cache 1 %d 0123456789abcdef\n" % len(body)
                + body, b"airlock-walk-cache 9 0 cbf29ce484222325\n"):
        path.write_bytes(bad)
        out = plan(airlock_env)
        assert "bind %s/.git read-only" % repo.resolve() in out
        assert CACHED not in out
    path.unlink()
    os.mkfifo(path)
    out = plan(airlock_env)
    assert "bind %s/.git read-only" % repo.resolve() in out
