"""Two real `idp-bridge serve` instances on one key file and one store: a key rotation with `idp-bridge keys` never
lets either instance sign with a key the other does not publish, and a retired key stays published."""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx2
import tomli_w
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.bridge_harness import (
    PORTAL_ID,
    PORTAL_REDIRECT,
    PORTAL_SECRET,
    LoginDriver,
    authorize_url,
    free_port,
    pkce_pair,
)
from tests.integration.bridge_process import IDP_BRIDGE, run_bridge, write_config


@contextlib.contextmanager
def _instance(directory: Path, upstreams: dict[str, str], shared: Path) -> Iterator[str]:
    directory.mkdir()
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    config = write_config(directory, issuer, port, upstreams)
    data = tomllib.loads(config.read_text())
    data["store"]["path"] = str(shared / "bridge.sqlite3")
    data["signing"] = {"key_file": str(shared / "signing.json"), "algorithm": "RS256", "reload_seconds": 1}
    config.write_text(tomli_w.dumps(data))
    with run_bridge(config, issuer):
        yield issuer


def _keys(config: Path, *step: str) -> subprocess.CompletedProcess[str]:
    env = {"IDP_BRIDGE_TEST_SECRET_KEY": "k" * 40, "PATH": "/usr/bin:/bin"}
    command = [str(IDP_BRIDGE), "keys", "--config", str(config), *step]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)


def _published(issuer: str) -> set[str]:
    return {k["kid"] for k in httpx2.get(f"{issuer}/jwks", timeout=10).json()["keys"]}


def _id_token(issuer: str) -> str:
    with httpx2.Client(timeout=10.0) as browser:
        driver = LoginDriver(browser, issuer=issuer)
        try:
            result = driver.login(issuer + authorize_url(provider_hint="acme"), user="alice")
        finally:
            driver.close()
        assert "code" in result.params, result.steps
        form = {"grant_type": "authorization_code", "code": result.params["code"], "redirect_uri": PORTAL_REDIRECT,
                "code_verifier": pkce_pair()[0]}  # fmt: skip
        answer = browser.post(f"{issuer}/token", data=form, auth=(PORTAL_ID, PORTAL_SECRET))
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["id_token"]
        return token


def _kid(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


def _eventually(check: object, what: str, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.2)  # waiting for the instances' next look at the key file (reload_seconds = 1)


def test_a_key_rotation_never_signs_with_a_key_another_instance_does_not_publish(
    tmp_path: Path, upstreams: dict[str, str]
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    with contextlib.ExitStack() as stack:
        first = stack.enter_context(_instance(tmp_path / "a", upstreams, shared))
        config = tmp_path / "a" / "bridge.toml"
        (old,) = _published(first)
        added = _keys(config, "add")
        assert added.returncode == 0, added.stderr
        new = (_published_eventually(first, 2) - {old}).pop()
        assert new != old
        # The defect: an instance started after the key was added signed with it while the others did not
        # publish it. Now an added key is published everywhere and signs nowhere until it is activated.
        second = stack.enter_context(_instance(tmp_path / "b", upstreams, shared))
        before = _id_token(second)
        assert _kid(before) == old
        assert _published(first) == _published(second) == {old, new}
        refused = _keys(config, "activate", new)
        assert refused.returncode == 1 and "activate it after" in refused.stderr
        activated = _keys(config, "activate", new, "--force")
        assert activated.returncode == 0, activated.stderr
        _eventually(lambda: _kid(_id_token(second)) == new, "the second instance never signed with the new key")
        _eventually(lambda: _kid(_id_token(first)) == new, "the first instance never signed with the new key")
        # The retired key stays published by both: a token it signed still verifies.
        for issuer in (first, second):
            assert _published(issuer) == {old, new}
            jwks = KeySet.import_key_set(httpx2.get(f"{issuer}/jwks", timeout=10).json())
            assert jwt.decode(before, jwks, algorithms=["RS256"]).claims["iss"] == second
        early = _keys(config, "retire", old)
        assert early.returncode == 1 and "remove it after" in early.stderr
        assert _published(first) == {old, new}


def _published_eventually(issuer: str, count: int) -> set[str]:
    found: set[str] = set()

    def enough() -> bool:
        found.clear()
        found.update(_published(issuer))
        return len(found) >= count

    _eventually(enough, f"{issuer} never published {count} keys")
    return found
