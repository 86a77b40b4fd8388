"""TOTP for authenticator apps (RFC 6238): SHA1, 6 digits, 30 s, one step of drift, provisioning URI and QR code.

Replay protection is the store's: `matching_timecode` only says which time step a code belongs to; the caller
records it with an atomic compare-and-set (`accept_totp_timecode`), so no time step is ever accepted twice.
"""

from __future__ import annotations

import re

import pyotp
import segno
from pyotp.exceptions import OTPVerificationError

DIGITS = 6
INTERVAL = 30
DRIFT_STEPS = 1
SECRET_LENGTH = 32  # base32 characters: 160 bits, RFC 4226's recommendation
_CODE = re.compile(r"[0-9]{6}")


def new_secret() -> str:
    return pyotp.random_base32(SECRET_LENGTH)


def normalize_code(raw: str) -> str | None:
    """Six ASCII digits (spaces allowed between them, as apps show "123 456"), or None."""
    code = raw.replace(" ", "")
    return code if _CODE.fullmatch(code) else None


def matching_timecode(secret: str, code: str, now: float) -> int | None:
    """The time step `code` is valid for at `now` (± one step of drift), or None. Constant-time comparison."""
    try:
        return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).verify_and_get_timecode(
            code, for_time=now, valid_window=DRIFT_STEPS
        )
    except OTPVerificationError:
        return None


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The QR code as inline SVG markup (generated here, never from input text other than the URI it encodes)."""
    svg: str = segno.make(uri, error="m").svg_inline(scale=5, border=4, title="QR code for your authenticator app")
    return svg


def grouped(secret: str) -> str:
    """The secret in groups of four, as authenticator apps accept it for manual entry."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
