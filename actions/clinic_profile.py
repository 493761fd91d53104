"""The clinic profile: clinic-specific facts (name, phone, hours, insurers...) kept out of the
training data so that one assistant serves any clinic. The file is chosen by CLINIC_PROFILE;
the demo profile shipped in clinic/demo.yml is the default."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PROFILE = PROJECT_ROOT / "clinic" / "demo.yml"
PROFILE_ENV_VAR = "CLINIC_PROFILE"


NOT_SLOTS = ("demo", "timezone")


class ProfileError(ValueError):
    """The profile file is missing, malformed or lacks a required fact."""


@dataclass(frozen=True)
class ClinicProfile:
    name: str
    phone: str
    email: str
    address: str
    hours: str
    telehealth: str
    after_hours: str
    insurers: List[str]
    pricing: str
    booking_url: str
    demo: bool = False
    # The clinic's time zone, for reading "tomorrow at 3pm".
    timezone: str = "America/New_York"

    def slot_values(self) -> Dict[str, str]:
        """The profile as the `clinic_*` slots that responses use."""
        values = {
            f"clinic_{f.name}": getattr(self, f.name)
            for f in fields(self)
            if f.name not in NOT_SLOTS
        }
        values["clinic_insurers"] = ", ".join(self.insurers)
        return values


def _required_text(raw: dict, key: str, source: Path) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ProfileError(f"{source}: '{key}' must be a non-empty text value")
    return " ".join(value.split())


def parse_profile(raw: object, source: Path) -> ClinicProfile:
    if not isinstance(raw, dict):
        raise ProfileError(f"{source}: expected a mapping of clinic facts")
    insurers = raw.get("insurers")
    if not isinstance(insurers, list) or not all(
        isinstance(i, str) and i.strip() for i in insurers
    ):
        raise ProfileError(f"{source}: 'insurers' must be a list of insurer names")
    text_keys = [f.name for f in fields(ClinicProfile) if f.name not in ("insurers",) + NOT_SLOTS]
    zone = str(raw.get("timezone") or ClinicProfile.timezone)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ProfileError(f"{source}: 'timezone' {zone!r} is not a known time zone") from error
    return ClinicProfile(
        **{key: _required_text(raw, key, source) for key in text_keys},
        insurers=[i.strip() for i in insurers] or ["(none listed)"],
        demo=bool(raw.get("demo", False)),
        timezone=zone,
    )


def profile_path(environ: Optional[Dict[str, str]] = None) -> Path:
    environ = os.environ if environ is None else environ
    chosen = environ.get(PROFILE_ENV_VAR, "").strip()
    if not chosen:
        return DEFAULT_PROFILE
    path = Path(chosen)
    return path if path.is_absolute() else PROJECT_ROOT / path


def load_profile(path: Path) -> ClinicProfile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProfileError(f"cannot read clinic profile {path}: {error}") from error
    except yaml.YAMLError as error:
        raise ProfileError(f"{path} is not valid YAML: {error}") from error
    return parse_profile(raw, path)


@lru_cache(maxsize=1)
def current_profile() -> ClinicProfile:
    """The profile chosen by the environment, read once per process."""
    return load_profile(profile_path())
