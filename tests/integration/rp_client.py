"""Drive the certified relying party (openid-client, in ``rp/rp.mjs``) from tests.

``rp_start`` discovers the issuer and builds an authorization URL (PKCE S256, random state and nonce);
the test then walks the browser or HTTP client through the login and hands the final redirect URL to
``rp_finish``, which redeems the code, validates the id_token (signature, iss, aud, nonce, state, RFC 9207
``iss``) and fetches userinfo. Any failure raises ``RPError`` with openid-client's message.
Requires ``make node-deps`` (``npm ci`` in ``rp/``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

RP_SCRIPT = Path(__file__).resolve().parent / "rp" / "rp.mjs"
TIMEOUT_SECONDS = 30.0


class RPError(Exception):
    """The relying party rejected a step; ``details`` is its JSON report (``code``, ``oauth_error``...)."""

    def __init__(self, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    @property
    def oauth_error(self) -> str | None:
        value = self.details.get("oauth_error")
        return value if isinstance(value, str) else None


def _run(command: str, args: list[str]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        raise RPError("node is not installed (needed for the test relying party)")
    try:
        proc = subprocess.run(
            [node, str(RP_SCRIPT), command, *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise RPError(f"rp.mjs {command} timed out after {TIMEOUT_SECONDS:g} s") from exc
    try:
        result = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise RPError(
            f"rp.mjs {command} exited {proc.returncode} without JSON: "
            f"stdout={proc.stdout.strip()[:500]!r} stderr={proc.stderr.strip()[:1000]!r}"
        ) from None
    if not isinstance(result, dict):
        raise RPError(f"rp.mjs {command} printed {type(result).__name__}, not an object")
    if "error" in result or proc.returncode != 0:
        raise RPError(str(result.get("error", f"exit code {proc.returncode}")), result)
    return result


def _client_args(issuer: str, client_id: str, redirect_uri: str, client_secret: str | None) -> list[str]:
    # Always --name=value: random values may start with '-', which a separate argument would make an option.
    args = [f"--issuer={issuer}", f"--client-id={client_id}", f"--redirect-uri={redirect_uri}"]
    if client_secret is not None:
        args.append(f"--client-secret={client_secret}")
    return args


def rp_start(
    issuer: str,
    client_id: str,
    redirect_uri: str,
    client_secret: str | None = None,
    extra: Mapping[str, str] | None = None,
    scope: str = "openid email profile",
) -> dict[str, Any]:
    """Return ``{"url", "state", "nonce", "code_verifier"}``; ``extra`` adds or overrides query parameters."""
    args = [*_client_args(issuer, client_id, redirect_uri, client_secret), f"--scope={scope}"]
    for key, value in (extra or {}).items():
        args.append(f"--extra={key}={value}")
    return _run("start", args)


def rp_finish(
    issuer: str,
    client_id: str,
    redirect_uri: str,
    callback_url: str,
    state: str,
    nonce: str,
    code_verifier: str,
    client_secret: str | None = None,
    max_age: int | None = None,
) -> dict[str, Any]:
    """Return ``{"claims", "userinfo", "token_type", "scope"}`` for the redirect that ended the login."""
    args = [
        *_client_args(issuer, client_id, redirect_uri, client_secret),
        f"--callback-url={callback_url}",
        f"--state={state}",
        f"--nonce={nonce}",
        f"--code-verifier={code_verifier}",
    ]
    if max_age is not None:
        args.append(f"--max-age={max_age}")
    return _run("finish", args)
