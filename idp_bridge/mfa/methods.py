"""Which second factor a technician uses: their method if set and deliverable, else the configured default, else
the authenticator app (which always works without a destination)."""

from __future__ import annotations

from idp_bridge.mfa.services import MFAServices
from idp_bridge.oidc.assurance import LOCAL_METHOD_ACR, acr_satisfies
from idp_bridge.store.records.core import User
from idp_bridge.store.records.mfa import TechnicianMFASettings

METHOD_NAMES = {"totp": "Authenticator app", "email": "Email code", "sms": "SMS code"}


def destination(settings: TechnicianMFASettings, user: User, method: str) -> str | None:
    if method == "email":
        return settings.email or user.email
    if method == "sms":
        return settings.phone
    return None


def effective_method(mfa: MFAServices, settings: TechnicianMFASettings, user: User) -> str:
    for method in (settings.method, mfa.config.default_method):
        if method is None or method not in mfa.methods():
            continue
        if method == "totp" or destination(settings, user, method):
            return method
    return "totp"


def method_for(mfa: MFAServices, settings: TechnicianMFASettings, user: User, required_acr: str | None) -> str:
    """The method of one login: the technician's own, unless the request demands a level it does not reach (an
    email or SMS code where the portal or route asks for the authenticator app's level): then the app."""
    method = effective_method(mfa, settings, user)
    return method if acr_satisfies(LOCAL_METHOD_ACR[method], required_acr) else "totp"
