"""The signed-in browser: finding its live session, starting a new one (id rotated), stepping one up, codes."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp_bridge.bridge import Bridge
from idp_bridge.config.session_model import BUILT_IN_CLIENTS
from idp_bridge.oidc.assurance import Assurance, upstream_assurance
from idp_bridge.sessions.access import live_session
from idp_bridge.sessions.end import end_session
from idp_bridge.sessions.limits import longest_lifetime, open_session, rules_for_user
from idp_bridge.store.records.core import AuthCode, AuthRequest, Session, User, secret_hash
from idp_bridge.store.records.session_rules import SessionIdentity
from idp_bridge.web.pages import NO_STORE
from idp_bridge.web.portal_redirect import portal_redirect
from providers.base import Identity


async def current_session(bridge: Bridge, request: Request, now: float) -> Session | None:
    token = bridge.session_cookie.read(request)
    if token is None:
        return None
    # Read from the store (not the per-worker cache); expiry enforced, activity recorded (sessions/access.py).
    entry = await live_session(bridge, token, now, cached=False)
    return entry.session if entry is not None else None


async def start_session(
    bridge: Bridge, request: Request, user: User, identity: Identity, now: float, *, assurance: Assurance | None = None,
    facts: SessionIdentity | None, role: str | None = None,
) -> tuple[Session, str]:  # fmt: skip
    """A new session with a fresh token; a session the browser held before is ended (never reused). `assurance`
    is what the login proved (flow step 4); without it, nothing beyond the upstream's single factor is claimed.
    `facts`: what the upstream login said of the account (sessions.limits.identity_facts), kept with the session;
    None when not known. `role`: the technician's effective role when the caller has just determined it (else it
    is read)."""
    previous = bridge.session_cookie.read(request)
    if previous is not None:
        old = await bridge.store.get_session_by_token(secret_hash(previous), now)
        if old is not None:
            await end_session(bridge, old.id, "replaced_by_new_login", request)
    token = bridge.session_cookie.new_token()
    if assurance is None:
        # The upstream's auth_time when it sent one; otherwise this login is when we authenticated the user.
        auth_time = identity.auth_time if identity.auth_time is not None else int(now)
        assurance = upstream_assurance(identity.amr, mfa_proven=False, auth_time=auth_time)
    rules = await rules_for_user(bridge, user.id, role)  # role defaults + the technician's own settings
    session = Session(
        id=secrets.token_urlsafe(16),
        token_hash=secret_hash(token),
        user_id=user.id,
        provider_id=identity.provider_id,
        auth_time=assurance.auth_time,
        amr=assurance.amr,
        acr=assurance.acr,
        created_at=now,
        last_seen_at=now,
        expires_at=now + rules.lifetime_seconds,
        idle_timeout=rules.idle_timeout_seconds,
        user_agent=(request.headers.get("user-agent") or "")[:256] or None,
        ip=request.client.host if request.client else None,
    )
    # The concurrency rule: the oldest sessions beyond the limit end in the same atomic step.
    await open_session(bridge, session, rules.max_sessions, facts, request)
    return session, token


async def step_up_in_place(
    bridge: Bridge, request: Request, session: Session, assurance: Assurance, now: float
) -> tuple[Session, str] | None:
    """A live session passed a fresh second factor: same session (its `sid`, portals and refresh tokens stay), a
    new browser token (privilege changed), and the new `amr`/`acr`/`auth_time` that forward-auth route rules and
    portals' `acr_values`/`max_age` check. This worker's cache forgets the old entry at once; other workers
    re-read within the cache bound. None when the session ended meanwhile."""
    token = bridge.session_cookie.new_token()
    stepped = await bridge.store.step_up_session(
        session.id, secret_hash(token), assurance.amr, assurance.acr, assurance.auth_time, now
    )
    bridge.sessions.cache.drop_session(session.id)
    if stepped is None:
        return None
    await bridge.auditor.record(
        "session.stepped_up", "success", request=request, user_id=stepped.user_id, provider_id=stepped.provider_id,
        session_id=stepped.id, amr=list(stepped.amr), acr=stepped.acr,
    )  # fmt: skip
    return stepped, token


def set_session_cookie(bridge: Bridge, response: Response, token: str) -> None:
    bridge.session_cookie.set(response, token, max_age=longest_lifetime(bridge.config.sessions))


async def redirect_with_code(
    bridge: Bridge,
    request: Request,
    auth_request: AuthRequest,
    session: Session,
    now: float,
    *,
    consume_request: bool = False,
) -> Response:
    """Back to the portal with a new code. `consume_request`: the stored authorization request is used up (a
    login finished), deleted in the same store write as the code is stored."""
    if auth_request.client_id in BUILT_IN_CLIENTS:  # forward-auth or admin console: back to the URL, no code
        if consume_request:
            await bridge.store.delete_auth_request(auth_request.id)
        return RedirectResponse(auth_request.redirect_uri, status_code=303, headers=NO_STORE)
    code = secrets.token_urlsafe(32)
    await bridge.store.put_code(
        AuthCode(
            code_hash=secret_hash(code),
            client_id=auth_request.client_id,
            redirect_uri=auth_request.redirect_uri,
            user_id=session.user_id,
            session_id=session.id,
            scope=auth_request.scope,
            nonce=auth_request.nonce,
            code_challenge=auth_request.code_challenge,
            auth_time=session.auth_time,
            amr=session.amr,
            acr=session.acr,
            created_at=now,
            expires_at=now + bridge.config.tokens.code_lifetime_seconds,
        ),
        consumes_request=auth_request.id if consume_request else None,
    )
    await bridge.auditor.record(
        "code.issued", "success", request=request, user_id=session.user_id,
        client_id=auth_request.client_id, provider_id=session.provider_id, session_id=session.id,
    )  # fmt: skip
    return portal_redirect(auth_request.redirect_uri, {"code": code, "state": auth_request.state}, bridge.issuer)
