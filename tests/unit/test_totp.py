"""domain.totp against RFC 6238's test vectors (Appendix B, SHA-1, 8 digits) and its 6-digit use."""

import base64

import pytest

from hallbook.domain import totp

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    "epoch, code",
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc_6238_vectors(epoch, code):
    assert totp.code_at(RFC_SECRET, epoch // 30, digits=8) == code


def test_a_code_matches_its_step_and_one_either_side_only():
    secret = totp.new_secret()
    at = 1_800_000_000
    step = at // totp.STEP_SECONDS
    for drift in (-1, 0, 1):
        assert totp.matching_step(secret, totp.code_at(secret, step + drift), at) == step + drift
    assert totp.matching_step(secret, totp.code_at(secret, step + 2), at) is None
    assert totp.matching_step(secret, "12345", at) is None and totp.matching_step(secret, "abcdef", at) is None


def test_the_provisioning_uri_names_the_login_and_secret():
    uri = totp.provisioning_uri("staff@gz-tianhe-centre", "JBSWY3DPEHPK3PXP")
    assert uri.startswith("otpauth://totp/hallbook:staff%40gz-tianhe-centre?secret=JBSWY3DPEHPK3PXP")
