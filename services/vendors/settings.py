"""The vendors service's settings, read from CITYOPS_VENDORS_* (and the platform's CITYOPS_*)."""

import json
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

from cryptography.fernet import Fernet
from limits import parse
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings
from services.vendors.contracts.certifications import RACE_SEX_CONSCIOUS
from services.vendors.contracts.evaluation import PREFERENCE_TYPES

DEFAULT_PREFERENCE_PERCENTS = {
    "lbe": Decimal(8),  # Local Business Preference Program: 8% for local businesses
    "lsb": Decimal(2),  # local small business, on top of the local preference (within the cap)
    "slbe": Decimal(2),
    "sbe": Decimal(5),
    "ebe": Decimal(5),
}
_PREFERENCE_NAMES = frozenset(t.value for t in PREFERENCE_TYPES)
_RACE_SEX_CONSCIOUS_NAMES = frozenset(t.value for t in RACE_SEX_CONSCIOUS)


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
    tin_duplicate_limit: str = Field(
        default="10/hour",
        description="Refused attempts to set a TIN another vendor holds, per caller, in the `limits` "
        "notation; past them, the caller's tax-profile writes are 429 until the window slides on.",
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
    ocds_publisher_name: str = Field(
        default="City of Los Angeles", min_length=1, description="`publisher.name` of every OCDS package."
    )
    ocds_publisher_uri: str | None = Field(
        default=None, description="`publisher.uri` of every OCDS package, e.g. the City's open-data page."
    )
    # Evaluation preferences (Los Angeles practice; confirm the figures with BCA). Which certification
    # types may earn one is fixed in code (contracts.evaluation.PREFERENCE_TYPES); settings only weigh them.
    preference_percents: Mapping[str, Decimal] = Field(
        default_factory=lambda: dict(DEFAULT_PREFERENCE_PERCENTS),
        validate_default=True,
        description="Percent taken off a bid's evaluated price per certification type held valid on the "
        'due date, e.g. `{"lbe": 8}`. Keys: lbe, lsb, slbe, lsbe, sbe, ebe only; a race- or '
        "sex-conscious type (mbe, wbe, dbe, acdbe, wosb, edwosb) stops the start (Proposition 209).",
    )
    preference_cap_percent: Decimal = Field(
        default=Decimal(10),
        ge=0,
        le=100,
        decimal_places=2,
        description="The most all preferences of a bid may add up to.",
    )
    preference_cap_amount: Decimal = Field(
        default=Decimal("150000.00"),
        ge=0,
        decimal_places=2,
        description="The most all preferences of a bid may take off.",
    )
    dbe_credit_percent: Decimal = Field(
        default=Decimal(5),
        ge=0,
        le=100,
        decimal_places=2,
        description="Credit for a DBE-certified bidder, applied only on federally funded solicitations "
        "with a DBE goal (49 CFR 26), within the same caps.",
    )
    protest_window_business_days: int = Field(
        default=5,
        ge=1,
        le=30,
        description="Business days after a notice of intent to award in which a protest is timely "
        "(weekends and US/California holidays do not count).",
    )

    import_keyed_max_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=0,
        description="The largest import file accepted with an `Idempotency-Key` (whose store holds the whole "
        "body in memory); larger files are sent without one, as imports are idempotent by content.",
    )

    @field_validator("tin_duplicate_limit")
    @classmethod
    def _rate(cls, value: str) -> str:
        parse(value)  # a malformed rate stops the start (ValueError)
        return value

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

    @field_validator("preference_percents", mode="before")
    @classmethod
    def _preference_types(cls, value: object) -> object:
        """Only the fixed preference types may be weighed: a race- or sex-conscious one stops the start."""
        if isinstance(value, str):
            value = _json_object(value)
        if not isinstance(value, Mapping):
            return value
        checked: dict[str, object] = {}
        for key, percent in value.items():
            name = str(key).strip().lower()
            if name in _RACE_SEX_CONSCIOUS_NAMES:
                raise ValueError(
                    f"CITYOPS_VENDORS_PREFERENCE_PERCENTS names `{name}`, a race- or sex-conscious "
                    "certification: California's Proposition 209 bars preferences by race or sex in City "
                    "contracting. (DBE credit on federally funded solicitations with a DBE goal is set by "
                    "CITYOPS_VENDORS_DBE_CREDIT_PERCENT and applied only there.)"
                )
            if name not in _PREFERENCE_NAMES:
                raise ValueError(
                    f"CITYOPS_VENDORS_PREFERENCE_PERCENTS names `{key}`, which cannot earn a preference; "
                    f"the types that can are fixed in code: {', '.join(sorted(_PREFERENCE_NAMES))}."
                )
            if name in checked:
                raise ValueError(f"CITYOPS_VENDORS_PREFERENCE_PERCENTS names `{name}` twice.")
            checked[name] = percent
        return checked

    @field_validator("preference_percents", mode="after")
    @classmethod
    def _frozen_percents(cls, value: Mapping[str, Decimal]) -> Mapping[str, Decimal]:
        for name, percent in value.items():
            if not Decimal(0) <= percent <= Decimal(100) or percent != percent.quantize(Decimal("0.01")):
                raise ValueError(
                    f"the preference for `{name}` must be from 0 to 100 percent, two decimal places at most"
                )
        # Read-only: nothing can add a type to the running service's preferences.
        return MappingProxyType(dict(value))


class MalformedSealingKeys(Exception):
    pass


def _json_object(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _is_fernet_key(key: str) -> bool:
    try:
        Fernet(key)
    except ValueError:
        return False
    return True
