from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class VendorsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_VENDORS_", extra="ignore", populate_by_name=True)

    service_name: str = "vendors"
    port: int = 8001
    tin_encryption_keys: SecretStr | None = Field(
        default=None,
        description="Comma-separated Fernet keys for tax ids; the first encrypts, all decrypt (rotation). "
        "Unset: derived from the platform signing key (development only).",
    )
    tin_fingerprint_key: SecretStr | None = Field(
        default=None,
        description="Key of the HMAC that fingerprints tax ids for duplicate detection. Never change it "
        "without re-fingerprinting every profile. Unset: derived from the platform signing key.",
    )
    bid_sealing_keys: SecretStr | None = Field(
        default=None,
        description="Comma-separated Fernet master keys that wrap each solicitation's bid-sealing key; the "
        "first wraps, all unwrap (rotation). Unset: derived from the platform signing key with HKDF "
        "(development only: sealed bids then depend on that secret).",
    )
    addendum_extension_days: int = Field(
        default=3,
        ge=0,
        le=60,
        description="An addendum issued less than this many days before the close moves the close to this "
        "many days after the addendum, so that bidders can read and acknowledge it.",
    )
    ocid_prefix: str = Field(
        default="ocds-cityops",
        pattern=r"^ocds-[a-z0-9]{1,20}$",
        description="The OCDS publisher prefix; a solicitation's ocid is `<prefix>-<reference>`.",
    )

    @field_validator("bid_sealing_keys")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        """A malformed master key stops the process at start-up, not at the first publication."""
        if value is not None:
            keys = [key.strip() for key in value.get_secret_value().split(",") if key.strip()]
            if not keys or not all(_is_fernet_key(key) for key in keys):
                # Not a ValueError: pydantic would quote the value as typed, i.e. the secret.
                raise MalformedSealingKeys(
                    "CITYOPS_VENDORS_BID_SEALING_KEYS must be comma-separated Fernet keys "
                    "(32 url-safe base64-encoded bytes each)."
                )
        return value


class MalformedSealingKeys(Exception):
    pass


def _is_fernet_key(key: str) -> bool:
    try:
        Fernet(key)
    except ValueError:
        return False
    return True
