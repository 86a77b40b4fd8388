"""`idp-bridge serve --workers 2`: several processes on one SQLite file and one (raced-for) signing key."""

from __future__ import annotations

from pathlib import Path

import httpx2

from tests.bridge_harness import PORTAL_ID, PORTAL_REDIRECT, PORTAL_SECRET, LoginDriver, free_port
from tests.integration.bridge_process import run_bridge, write_config
from tests.integration.rp_client import rp_finish, rp_start


def test_logins_across_two_worker_processes(tmp_path: Path, upstreams: dict[str, str]) -> None:
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    config = write_config(tmp_path, issuer, port, upstreams)
    with run_bridge(config, issuer, workers=2) as process, httpx2.Client(timeout=10.0) as http:
        kids = {k["kid"] for k in http.get(f"{issuer}/jwks").json()["keys"]}
        assert len(kids) == 1  # both workers use the one key that won the creation race
        subjects = set()
        for _ in range(6):  # enough requests that both workers serve some steps of some logins
            browser = httpx2.Client(timeout=10.0)
            driver = LoginDriver(browser, issuer=issuer)
            start = rp_start(issuer, PORTAL_ID, PORTAL_REDIRECT, client_secret=PORTAL_SECRET)
            result = driver.login(start["url"], provider="acme", user="alice")
            assert result.final_url is not None, result.page.text if result.page else result.steps
            finished = rp_finish(
                issuer, PORTAL_ID, PORTAL_REDIRECT, result.final_url, start["state"], start["nonce"],
                start["code_verifier"], client_secret=PORTAL_SECRET,
            )  # fmt: skip
            subjects.add(finished["claims"]["sub"])
            driver.close()
            browser.close()
        assert len(subjects) == 1  # one user record, whichever worker created it
        assert process.poll() is None
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".signing")] == []  # no temp key files left
