"""Encryption and fingerprinting of taxpayer identification numbers.

A TIN is stored three ways, none of them the number itself: a Fernet token (AES-128-CBC with
HMAC-SHA256, from the `cryptography` package), its last four characters for display, and a keyed
fingerprint (HMAC-SHA256) that lets the database refuse a second vendor with the same TIN without
ever decrypting one. `MultiFernet` gives key rotation: the first key encrypts, every key decrypts, so a
new key is put first and the old ones stay until every token has been re-encrypted (`rotate`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.common.problems import InternalError
from services.vendors.settings import VendorsSettings

logger = logging.getLogger("cityops.vendors.tax")

# HKDF `info` labels: one secret yields independent keys, one per purpose.
_ENCRYPTION_INFO = b"cityops/vendors/tin-encryption/v1"
_FINGERPRINT_INFO = b"cityops/vendors/tin-fingerprint/v1"
MIN_FINGERPRINT_KEY_BYTES = 32


class TinVault:
    """Holds the TIN keys of one process; built once at start-up from settings."""

    def __init__(self, encryption_keys: Sequence[bytes], fingerprint_key: bytes) -> None:
        if not encryption_keys:
            raise ValueError("At least one TIN encryption key is required.")
        if len(fingerprint_key) < MIN_FINGERPRINT_KEY_BYTES:
            raise ValueError(f"The TIN fingerprint key must be at least {MIN_FINGERPRINT_KEY_BYTES} bytes.")
        self._fernet = MultiFernet([Fernet(key) for key in encryption_keys])
        self._fingerprint_key = fingerprint_key

    @classmethod
    def from_settings(cls, settings: VendorsSettings) -> TinVault:
        """The configured keys, or, when they are unset (development), keys derived with HKDF from the
        platform signing key (`CITYOPS_SECRET_KEY`, else the JWT secret). Derived keys change when that
        secret changes, and tokens encrypted under the old ones can no longer be read: production sets
        `CITYOPS_VENDORS_TIN_ENCRYPTION_KEYS` and `CITYOPS_VENDORS_TIN_FINGERPRINT_KEY` explicitly."""
        if settings.tin_encryption_keys is not None:
            text = settings.tin_encryption_keys.get_secret_value()
            encryption_keys = [key.strip().encode() for key in text.split(",") if key.strip()]
        else:
            logger.warning("TIN encryption key derived from the platform signing key (development only)")
            derived = _derive(settings.signing_key, _ENCRYPTION_INFO)
            encryption_keys = [base64.urlsafe_b64encode(derived)]
        if settings.tin_fingerprint_key is not None:
            fingerprint_key = settings.tin_fingerprint_key.get_secret_value().encode()
        else:
            logger.warning("TIN fingerprint key derived from the platform signing key (development only)")
            fingerprint_key = _derive(settings.signing_key, _FINGERPRINT_INFO)
        return cls(encryption_keys, fingerprint_key)

    def encrypt(self, normalized_tin: str) -> str:
        return self._fernet.encrypt(normalized_tin.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except InvalidToken:
            # A key was removed before its tokens were rotated; say so without any of the token.
            logger.error("a stored TIN cannot be decrypted with the configured keys")
            raise InternalError(
                "The tax profile cannot be decrypted with the configured keys; the key it was written "
                "with must be restored."
            ) from None

    def rotate(self, token: str) -> str:
        """The token re-encrypted under the current first key (for a re-keying job)."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")

    def fingerprint(self, tin_type: str, normalized_tin: str) -> str:
        """HMAC-SHA256 of `<type>:<tin>`: the IRS treats an EIN and an SSN with the same digits as two
        numbers, and so does duplicate detection."""
        message = f"{tin_type}:{normalized_tin}".encode()
        return hmac.new(self._fingerprint_key, message, hashlib.sha256).hexdigest()


def _derive(secret: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode())
