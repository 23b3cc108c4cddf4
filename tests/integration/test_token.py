"""`airlock token mint|verify` against PyJWT: tokens
PyJWT mints are accepted, tokens airlock mints satisfy PyJWT, and every JWS
refusal prints the app-server's 401 text and exits 1."""
import base64
import hashlib
import hmac
import json
import os
import time

import jwt
import pytest

SECRET = "s3cret-s3cret-s3cret-s3cret-s3cret!"  # 35 bytes


def b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def raw_token(header, claims, secret=SECRET):
    """A compact JWS over header/claims given as text (so that odd JSON,
    such as duplicate keys, can be signed), HMAC-SHA256 whatever alg says."""
    signing = f"{b64(header.encode())}.{b64(claims.encode())}"
    mac = hmac.new(secret.encode(), signing.encode(), hashlib.sha256)
    return f"{signing}.{b64(mac.digest())}"


@pytest.fixture
def secret_file(airlock_env):
    p = airlock_env.write("secret", SECRET + "\n")
    os.chmod(p, 0o600)
    return p


def verify(env, secret_file, token, *flags, input=None):
    return env.run("token", "verify", "--secret-file", secret_file, *flags,
                   token, input=input)


def future(seconds=600):
    return int(time.time()) + seconds


# --- interoperability --------------------------------------------------------

def test_pyjwt_token_is_accepted_and_claims_printed(airlock_env, secret_file):
    claims = {"exp": future(), "iss": "ci", "aud": "airlock", "sub": "u1"}
    tok = jwt.encode(claims, SECRET, algorithm="HS256")
    r = verify(airlock_env, secret_file, tok, "--issuer", "ci",
               "--audience", "airlock")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == claims


def accepted(r, claims):
    """verify said yes: exit 0, the claims on stdout, nothing on stderr."""
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == claims
    assert r.stderr == ""


def test_pyjwt_token_with_audience_list_is_accepted(airlock_env, secret_file):
    claims = {"exp": future(), "aud": ["x", "airlock"]}
    tok = jwt.encode(claims, SECRET, algorithm="HS256")
    r = verify(airlock_env, secret_file, tok, "--audience", "airlock")
    accepted(r, claims)


def test_pyjwt_token_with_nbf_in_the_past_is_accepted(airlock_env,
                                                      secret_file):
    now = int(time.time())
    claims = {"exp": now + 600, "nbf": now - 600}
    tok = jwt.encode(claims, SECRET, algorithm="HS256")
    accepted(verify(airlock_env, secret_file, tok), claims)


def test_airlock_token_is_accepted_by_pyjwt(airlock_env, secret_file):
    r = airlock_env.run("token", "mint", "--secret-file", secret_file,
                        "--issuer", "ci", "--audience", "airlock",
                        "--subject", "robot", "--ttl", "120")
    assert r.returncode == 0, r.stderr
    claims = jwt.decode(r.stdout.strip(), SECRET, algorithms=["HS256"],
                        audience="airlock", issuer="ci")
    assert claims["sub"] == "robot"
    assert claims["exp"] - claims["iat"] == 120
    assert "nbf" not in claims
    header = jwt.get_unverified_header(r.stdout.strip())
    assert header == {"alg": "HS256", "typ": "JWT"}


def test_airlock_token_verifies_with_airlock(airlock_env, secret_file):
    r = airlock_env.run("token", "mint", "--secret-file", secret_file,
                        "--audience", "a")
    assert r.returncode == 0, r.stderr
    v = verify(airlock_env, secret_file, r.stdout.strip(), "--audience", "a")
    assert v.returncode == 0, v.stderr
    assert json.loads(v.stdout)["aud"] == "a"


def test_mint_default_ttl_is_an_hour(airlock_env, secret_file):
    r = airlock_env.run("token", "mint", "--secret-file", secret_file)
    claims = jwt.decode(r.stdout.strip(), SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 3600
    assert set(claims) == {"iat", "exp"}


def test_verify_reads_token_from_stdin(airlock_env, secret_file):
    claims = {"exp": future(), "sub": "from-stdin"}
    tok = jwt.encode(claims, SECRET, algorithm="HS256")
    r = verify(airlock_env, secret_file, "-", input=tok + "\n")
    accepted(r, claims)


# --- refusals -------------------------------------------------------------

HS = '{"alg":"HS256","typ":"JWT"}'


def exp_claims():
    return json.dumps({"exp": future()})


REFUSED = {
    "alg_none": lambda: raw_token('{"alg":"none"}', exp_claims()),
    "alg_none_unsigned": lambda: jwt.encode({"exp": future()}, None,
                                            algorithm="none"),
    "alg_hs384": lambda: jwt.encode({"exp": future()}, SECRET,
                                    algorithm="HS384"),
    "alg_hs512": lambda: jwt.encode({"exp": future()}, SECRET,
                                    algorithm="HS512"),
    "alg_rs256": lambda: raw_token('{"alg":"RS256"}', exp_claims()),
    "alg_es256": lambda: raw_token('{"alg":"ES256"}', exp_claims()),
    "crit": lambda: jwt.encode({"exp": future()}, SECRET, algorithm="HS256",
                               headers={"crit": ["exp"]}),
    "duplicate_header_key": lambda: raw_token(
        '{"alg":"HS256","alg":"HS256"}', exp_claims()),
    "duplicate_claim_key": lambda: raw_token(
        HS, '{"exp":%d,"exp":%d}' % (future(), future())),
    "missing_exp": lambda: jwt.encode({"sub": "x"}, SECRET,
                                      algorithm="HS256"),
    "float_exp": lambda: raw_token(HS, '{"exp":%d.0}' % future()),
    "string_exp": lambda: raw_token(HS, '{"exp":"%d"}' % future()),
    "string_nbf": lambda: raw_token(HS, '{"exp":%d,"nbf":"1"}' % future()),
    "numeric_aud": lambda: raw_token(HS, '{"exp":%d,"aud":1}' % future()),
    "wrong_secret": lambda: jwt.encode({"exp": future()}, SECRET + "x",
                                       algorithm="HS256"),
    "padded_base64": lambda: jwt.encode({"exp": future()}, SECRET,
                                        algorithm="HS256") + "=",
    "bad_base64_char": lambda: "+" + jwt.encode({"exp": future()}, SECRET,
                                                algorithm="HS256")[1:],
    "two_segments": lambda: jwt.encode({"exp": future()}, SECRET,
                                       algorithm="HS256").rsplit(".", 1)[0],
    "over_8_kib": lambda: jwt.encode({"exp": future(), "pad": "x" * 6500},
                                     SECRET, algorithm="HS256"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_token_is_invalid_websocket_jwt(airlock_env, secret_file,
                                                case):
    r = verify(airlock_env, secret_file, REFUSED[case]())
    assert r.returncode == 1
    assert r.stderr == "invalid websocket jwt\n"
    assert r.stdout == ""


def test_expired_token(airlock_env, secret_file):
    tok = jwt.encode({"exp": int(time.time()) - 3600}, SECRET,
                     algorithm="HS256")
    r = verify(airlock_env, secret_file, tok)
    assert (r.returncode, r.stderr) == (1, "expired websocket jwt\n")


def test_skew_widens_expiry(airlock_env, secret_file):
    claims = {"exp": int(time.time()) - 600}
    tok = jwt.encode(claims, SECRET, algorithm="HS256")
    r = verify(airlock_env, secret_file, tok, "--max-clock-skew-seconds",
               "3600")
    accepted(r, claims)


def test_not_yet_valid_token(airlock_env, secret_file):
    tok = jwt.encode({"exp": future(7200), "nbf": future(3600)}, SECRET,
                     algorithm="HS256")
    r = verify(airlock_env, secret_file, tok)
    assert (r.returncode, r.stderr) == (1, "websocket jwt is not valid yet\n")


def test_skew_widens_not_before(airlock_env, secret_file):
    claims = {"exp": future(7200), "nbf": future(600)}
    tok = jwt.encode(claims, SECRET, algorithm="HS256")
    r = verify(airlock_env, secret_file, tok, "--max-clock-skew-seconds",
               "3600")
    accepted(r, claims)


def test_issuer_mismatch(airlock_env, secret_file):
    tok = jwt.encode({"exp": future(), "iss": "CI"}, SECRET,
                     algorithm="HS256")
    r = verify(airlock_env, secret_file, tok, "--issuer", "ci")
    assert (r.returncode, r.stderr) == (1, "websocket jwt issuer mismatch\n")


def test_audience_mismatch(airlock_env, secret_file):
    tok = jwt.encode({"exp": future(), "aud": ["x", "y"]}, SECRET,
                     algorithm="HS256")
    r = verify(airlock_env, secret_file, tok, "--audience", "airlock")
    assert (r.returncode, r.stderr) == (1,
                                        "websocket jwt audience mismatch\n")


# --- secret file and flag errors -----------------------------------------

def test_relative_secret_file_is_refused(airlock_env, secret_file):
    r = airlock_env.run("token", "mint", "--secret-file", "secret")
    assert r.returncode == 2
    assert r.stderr == "--secret-file must be an absolute path\n"


def test_missing_secret_file_is_refused(airlock_env):
    p = airlock_env.root / "nope"
    r = airlock_env.run("token", "mint", "--secret-file", p)
    assert r.returncode == 2
    assert r.stderr == (f"failed to read websocket auth secret {p}: "
                        "No such file or directory (os error 2)\n")


def test_group_writable_secret_file_is_refused(airlock_env, secret_file):
    os.chmod(secret_file, 0o660)
    r = airlock_env.run("token", "mint", "--secret-file", secret_file)
    assert r.returncode == 2
    assert r.stderr == (f"websocket auth secret {secret_file} must not be "
                        "group- or world-writable\n")


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644], ids=oct)
def test_readable_secret_file_is_refused(airlock_env, secret_file, mode):
    # Whoever reads the secret can mint tokens: a readable file is as bad
    # as a writable one.
    os.chmod(secret_file, mode)
    r = airlock_env.run("token", "mint", "--secret-file", secret_file)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr == (f"websocket auth secret {secret_file} must not be "
                        "group- or world-readable (chmod 600 it)\n")


def test_short_secret_is_refused(airlock_env):
    p = airlock_env.write("short", "x" * 31 + "\n")
    os.chmod(p, 0o600)
    r = airlock_env.run("token", "verify", "--secret-file", p, "a.b.c")
    assert r.returncode == 2
    assert r.stderr == (f"signed websocket bearer secret {p} must be at "
                        "least 32 bytes\n")


def test_empty_secret_is_refused(airlock_env):
    p = airlock_env.write("empty", "\n \n")
    os.chmod(p, 0o600)
    r = airlock_env.run("token", "mint", "--secret-file", p)
    assert r.returncode == 2
    assert r.stderr == f"websocket auth secret {p} must not be empty\n"


def test_bad_skew_is_refused(airlock_env, secret_file):
    r = verify(airlock_env, secret_file, "a.b.c", "--max-clock-skew-seconds",
               "9223372036854775808")
    assert r.returncode == 2
    assert r.stderr == ("websocket auth clock skew must fit in a signed "
                        "64-bit integer\n")


def test_zero_ttl_is_refused(airlock_env, secret_file):
    r = airlock_env.run("token", "mint", "--secret-file", secret_file,
                        "--ttl", "0")
    assert r.returncode == 2
    assert r.stderr.startswith("--ttl must be between 1 and ")


def test_missing_secret_file_flag_is_a_usage_error(airlock_env):
    r = airlock_env.run("token", "mint")
    assert r.returncode == 2
    assert r.stderr.startswith("usage: airlock token")


def test_verify_without_token_is_a_usage_error(airlock_env, secret_file):
    r = airlock_env.run("token", "verify", "--secret-file", secret_file)
    assert r.returncode == 2
    assert r.stderr.startswith("usage: airlock token")
