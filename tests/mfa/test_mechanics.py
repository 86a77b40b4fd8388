"""Tests for the MFA mechanics: the secret box (AES-GCM, binding, rotation), TOTP codes, recovery-code format."""

from __future__ import annotations

import pyotp
import pytest

from idp_bridge.mfa import recovery_codes, totp
from idp_bridge.mfa.cookies import DeviceClaim
from idp_bridge.mfa.otp_delivery import mask_email, mask_phone, new_code
from idp_bridge.mfa.secret_box import SecretBox, SecretBoxError

KEY, OTHER = "k" * 40, "o" * 40


def test_sealed_secret_opens_only_for_its_user_and_key() -> None:
    box = SecretBox(KEY)
    sealed = box.seal("JBSWY3DPEHPK3PXP", "user-1")
    assert "JBSWY3DPEHPK3PXP" not in sealed and sealed.startswith("v1.")
    assert box.open(sealed, "user-1") == ("JBSWY3DPEHPK3PXP", False)
    assert box.seal("x", "user-1") != box.seal("x", "user-1")  # a fresh nonce every time
    with pytest.raises(SecretBoxError):
        box.open(sealed, "user-2")  # copied to another user's row
    with pytest.raises(SecretBoxError):
        SecretBox(OTHER).open(sealed, "user-1")
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SecretBoxError):
        box.open(tampered, "user-1")


def test_rotation_opens_old_values_and_asks_for_reseal() -> None:
    old = SecretBox(OTHER).seal("SECRET", "u")
    rotated = SecretBox(KEY, previous=OTHER)
    assert rotated.open(old, "u") == ("SECRET", True)
    assert rotated.open(rotated.seal("SECRET", "u"), "u") == ("SECRET", False)


def test_default_key_is_derived_from_the_server_secret() -> None:
    a = SecretBox.from_settings(None, None, "s" * 40)
    assert a.open(SecretBox.from_settings(None, None, "s" * 40).seal("x", "u"), "u")[0] == "x"
    with pytest.raises(SecretBoxError):
        SecretBox.from_settings(None, None, "t" * 40).open(a.seal("x", "u"), "u")
    assert a.keyed_hash("a", "b") != SecretBox.from_settings(None, None, "t" * 40).keyed_hash("a", "b")
    assert a.keyed_hash("a", "bc") != a.keyed_hash("ab", "c")  # parts are joined unambiguously


def test_totp_window_and_format() -> None:
    secret, now = totp.new_secret(), 1_800_000_000.0
    assert len(secret) == 32
    step = int(now // 30)
    for offset, expected in ((-1, step - 1), (0, step), (1, step + 1)):
        assert totp.matching_timecode(secret, pyotp.TOTP(secret).at(now + 30 * offset), now) == expected
    assert totp.matching_timecode(secret, pyotp.TOTP(secret).at(now + 60), now) is None  # two steps: too far
    assert totp.normalize_code("123 456") == "123456"
    assert [totp.normalize_code(c) for c in ("12345", "1234567", "12345a", "١٢٣٤٥٦")] == [None] * 4
    uri = totp.provisioning_uri(secret, "ann@example.com", "Corp SSO")
    assert uri.startswith("otpauth://totp/Corp%20SSO:ann%40example.com?secret=") and "issuer=Corp%20SSO" in uri
    assert totp.qr_svg(uri).startswith("<svg") and "<script" not in totp.qr_svg(uri)
    assert totp.grouped("ABCDEFGH") == "ABCD EFGH"


def test_recovery_codes() -> None:
    codes = recovery_codes.generate()
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(c) == 9 and c[4] == "-" and recovery_codes.normalize(c) == c.replace("-", "") for c in codes)
    assert recovery_codes.normalize("abcd efgh") == "ABCDEFGH"
    assert recovery_codes.normalize("ABCD-EFG0") is None  # 0 is not in the alphabet (nor O, 1, I, L)
    box = SecretBox(KEY)
    assert recovery_codes.code_hash(box, "u1", "ABCDEFGH") != recovery_codes.code_hash(box, "u2", "ABCDEFGH")


def test_codes_and_masks() -> None:
    assert all(len(new_code()) == 6 and new_code().isdigit() for _ in range(20))
    assert mask_email("alice@example.com") == "a•••@example.com"
    assert mask_phone("+15550123") == "+15•••23"
    assert DeviceClaim.decode(DeviceClaim("t", "u", 3).encode()) == DeviceClaim("t", "u", 3)
    assert DeviceClaim.decode("t|u|x") is None and DeviceClaim.decode("t|u") is None
