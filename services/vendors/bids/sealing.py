"""Envelope encryption of sealed bids, and their receipts.

Each published solicitation gets its own data key (a Fernet key: AES-128-CBC with HMAC-SHA256, from
`cryptography`). The database stores that key only wrapped, i.e. encrypted by a master key that lives
in the service's settings (`CITYOPS_VENDORS_BID_SEALING_KEYS`), never in the database. A bid's sealed
content is encrypted with the data key. So a database reader sees ciphertext only; the server unwraps
the key for the bidding vendor reading its own bid and, for everyone, at the opening, which stores the
data key itself so that anyone can decrypt the published payloads and check them.

Master keys rotate with `MultiFernet`: the first wraps, every listed key unwraps.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import uuid
from datetime import UTC, datetime

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import Request

from services.common.problems import InternalError
from services.vendors.contracts import BidSealedContent
from services.vendors.settings import VendorsSettings

logger = logging.getLogger("cityops.vendors.bids")

PADDING_BLOCK = 256
# HKDF `info` label of the development master key: independent of every other key from the same secret.
_DEVELOPMENT_MASTER_KEY_INFO = b"cityops/vendors/bid-sealing-master/v1"


class Sealer:
    """The master keys of one process: wraps and unwraps data keys, seals and opens bid content."""

    def __init__(self, master_keys: list[bytes]) -> None:
        if not master_keys:
            raise ValueError("At least one bid-sealing master key is required.")
        self._masters = MultiFernet([Fernet(key) for key in master_keys])
        self.master_key_id = key_fingerprint(master_keys[0])

    @classmethod
    def from_settings(cls, settings: VendorsSettings) -> Sealer:
        """The configured master keys or, unset (development), one derived with HKDF from the platform
        signing key: bids sealed under it can be opened only while that secret stays the same."""
        if settings.bid_sealing_keys is not None:
            text = settings.bid_sealing_keys.get_secret_value()
            return cls([key.strip().encode() for key in text.split(",") if key.strip()])
        logger.warning("bid-sealing master key derived from the platform signing key (development only)")
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DEVELOPMENT_MASTER_KEY_INFO)
        return cls([base64.urlsafe_b64encode(derived.derive(settings.signing_key.encode()))])

    def new_wrapped_key(self) -> str:
        """A fresh data key, returned only wrapped: the clear key never leaves this call."""
        return self._masters.encrypt(Fernet.generate_key()).decode("ascii")

    def unwrap(self, wrapped_key: str) -> str:
        try:
            return self._masters.decrypt(wrapped_key.encode("ascii")).decode("ascii")
        except InvalidToken:
            logger.error("a solicitation's sealing key cannot be unwrapped with the configured master keys")
            raise InternalError(
                "The bids cannot be unsealed with the configured keys; the master key they were sealed "
                "under must be restored."
            ) from None

    def seal(self, wrapped_key: str, content: BidSealedContent, at: datetime) -> str:
        """The content encrypted under the solicitation's data key. The token's own timestamp is the
        server's submission time, so it agrees with the receipt."""
        fernet = Fernet(self.unwrap(wrapped_key))
        plain = content.model_dump_json().encode()
        # Padded with JSON whitespace, so that a ciphertext's length says nothing of a price's digits.
        padded = plain + b" " * (-len(plain) % PADDING_BLOCK)
        return fernet.encrypt_at_time(padded, int(at.timestamp())).decode("ascii")

    def open(self, wrapped_key: str, sealed_payload: str) -> BidSealedContent:
        return open_with_key(self.unwrap(wrapped_key), sealed_payload)


def open_with_key(data_key: str, sealed_payload: str) -> BidSealedContent:
    """Decrypts a payload with a clear data key: the server after unwrapping, anyone after the opening."""
    try:
        plain = Fernet(data_key).decrypt(sealed_payload.encode("ascii"))
    except InvalidToken:
        logger.error("a sealed bid does not decrypt under its solicitation's key")
        raise InternalError("A sealed bid cannot be decrypted with its solicitation's key.") from None
    return BidSealedContent.model_validate_json(plain)


def key_fingerprint(key: bytes) -> str:
    """Names a master key in the database without revealing it: 16 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:16]


def receipt_timestamp(moment: datetime) -> str:
    """The one text form of a submission time that receipts hash: RFC 3339, UTC, microseconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def receipt_hash(bid_id: uuid.UUID, sealed_payload: str, submitted_at: datetime) -> str:
    """SHA-256 over `<bid id>\\n<sealed payload>\\n<submitted at>` (see contracts.bids.RECEIPT_INPUT)."""
    text = f"{bid_id}\n{sealed_payload}\n{receipt_timestamp(submitted_at)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def bid_sealer(request: Request) -> Sealer:
    """The process's sealer, built at start-up by the app (services/vendors/app.py)."""
    sealer: Sealer = request.app.state.bid_sealer
    return sealer
