"""The clinic profile: clinic-specific facts (name, phone, hours, insurers...) kept out of the
training data so that one assistant serves any clinic. The file is chosen by CLINIC_PROFILE;
the demo profile shipped in clinic/demo.yml is the default for `make run`.

Deployments must not show patients the demo's fictional phone number by accident: where
CLINIC_PROFILE_REQUIRED is on (the container images set it), CLINIC_PROFILE must be set and a
profile marked `demo: true` is refused unless ALLOW_DEMO_PROFILE says a demo is intended."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from datetime import datetime
from datetime import timezone as dt_timezone
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import yaml

from clinic.crisis_lines import CrisisLines, CrisisLinesError, crisis_lines_for
from clinic.opening_hours import OpenHours, OpeningHoursError, is_open, parse_open_hours
from clinic.paths import PROJECT_ROOT


DEFAULT_PROFILE = PROJECT_ROOT / "clinic" / "demo.yml"
PROFILE_ENV_VAR = "CLINIC_PROFILE"
REQUIRED_ENV_VAR = "CLINIC_PROFILE_REQUIRED"
ALLOW_DEMO_ENV_VAR = "ALLOW_DEMO_PROFILE"
TRUE_WORDS = ("1", "true", "yes", "on")


NOT_SLOTS = ("demo", "timezone", "widget_colours", "phone_region", "crisis", "policies", "offers", "open_hours")
# The clinic's own answers to practical questions (profile key `policies`), by topic: what the
# answer is about when the profile has no policy and the team has to tell the patient.
POLICY_TOPICS = {
    "getting_home": "getting home after an infusion",
    "eating_before": "eating and drinking before an infusion",
    "what_to_bring": "what to bring to your appointment",
    "companions": "bringing someone with you",
    "arriving_early": "when to arrive",
    "cancellation": "cancelling or moving an appointment",
}
# What the clinic offers to do, in its own words (profile key `offers`), said in the FAQ answer
# it belongs to (`{clinic_offer_<key>}`), and left out where the profile does not offer it: the
# answers promise nothing the clinic has not said it does.
OFFER_KEYS = ("checks_insurance", "gives_quotes", "confirms_times")
DEFAULT_PHONE_REGION = "US"
DEFAULT_WIDGET_COLOURS = {"primary": "#0b5d66", "on_primary": "#ffffff"}
# WCAG AA for normal text: the widget's header and buttons put on_primary text on primary.
MIN_CONTRAST = 4.5
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


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
    # The website chat widget's colours: {"primary": "#rrggbb", "on_primary": "#rrggbb"}.
    widget_colours: Dict[str, str] = field(default_factory=lambda: dict(DEFAULT_WIDGET_COLOURS))
    # Where patients' numbers typed without a country code are from (ISO 3166: "US", "GB"), and so
    # how numeric dates are read (12/15 in the US, 15/12 elsewhere).
    phone_region: str = DEFAULT_PHONE_REGION
    # The crisis and emergency lines of the clinic's country (clinic/crisis_lines.yml).
    crisis: CrisisLines = field(default_factory=lambda: crisis_lines_for(DEFAULT_PHONE_REGION))
    # The clinic's own practical policies, by POLICY_TOPICS key; a missing one is not given.
    policies: Dict[str, str] = field(default_factory=dict)
    # What the clinic offers to do, by OFFER_KEYS key; a missing one is not said.
    offers: Dict[str, str] = field(default_factory=dict)
    # `hours` for machines (clinic/opening_hours.py): {weekday: [(opens, closes)]}; empty if not given.
    open_hours: OpenHours = field(default_factory=dict)

    def is_open_now(self, now: Optional[datetime] = None) -> Optional[bool]:
        """Whether the clinic is open now, in its own time zone; None without `open_hours`."""
        if not self.open_hours:
            return None
        moment = (now or datetime.now(dt_timezone.utc)).astimezone(ZoneInfo(self.timezone))
        return is_open(self.open_hours, moment)

    def policy_answer(self, topic: str) -> str:
        """The clinic's policy as its answer, or, without one, that the team can tell the patient."""
        policy = self.policies.get(topic)
        if policy:
            return policy
        return (f"Our team can tell you about {POLICY_TOPICS[topic]}: call us at {self.phone} "
                f"({self.hours}), or ask me for a call back.")

    def slot_values(self) -> Dict[str, str]:
        """The profile as the `clinic_*` slots that responses use."""
        values = {
            f"clinic_{f.name}": getattr(self, f.name)
            for f in fields(self)
            if f.name not in NOT_SLOTS
        }
        values["clinic_insurers"] = ", ".join(self.insurers)
        values["clinic_crisis_lines"] = self.crisis.listed
        values["clinic_crisis_reminder"] = self.crisis.reminder
        values["clinic_crisis_line"] = self.crisis.first_line
        values["clinic_emergency_number"] = self.crisis.emergency
        values.update({f"clinic_policy_{topic}": self.policy_answer(topic) for topic in POLICY_TOPICS})
        # An empty text, not None: None would make the response generator look the slot up again.
        values.update({f"clinic_offer_{key}": self.offers.get(key, "") for key in OFFER_KEYS})
        return values


def _required_text(raw: dict, key: str, source: Path) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ProfileError(f"{source}: '{key}' must be a non-empty text value")
    return " ".join(value.split())


def relative_luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def parse_widget_colours(raw: object, source: Path) -> Dict[str, str]:
    if raw is None:
        return dict(DEFAULT_WIDGET_COLOURS)
    if not isinstance(raw, dict) or set(raw) - set(DEFAULT_WIDGET_COLOURS):
        raise ProfileError(f"{source}: 'widget_colours' takes only {', '.join(DEFAULT_WIDGET_COLOURS)}")
    colours = {**DEFAULT_WIDGET_COLOURS, **{k: str(v) for k, v in raw.items()}}
    for key, value in colours.items():
        if not HEX_COLOUR.match(value):
            raise ProfileError(f"{source}: widget_colours.{key} must look like #1a2b3c, not {value!r}")
    ratio = contrast_ratio(colours["primary"], colours["on_primary"])
    if ratio < MIN_CONTRAST:
        raise ProfileError(
            f"{source}: widget_colours contrast is {ratio:.1f}:1; text on the primary colour needs "
            f"at least {MIN_CONTRAST}:1 to be readable (pick a darker primary or a lighter on_primary)"
        )
    return colours


def parse_phone_region(raw: dict, source: Path) -> str:
    """`phone_region` (or `country`) if the profile names one; otherwise the country of the clinic's
    own number when it is written internationally (+44 ...); otherwise the US."""
    key = "phone_region" if raw.get("phone_region") is not None else "country"
    named = raw.get(key)
    if named is not None:
        region = str(named).strip().upper()
        region = {"UK": "GB"}.get(region, region)  # the usual name, not the ISO code
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ProfileError(f"{source}: '{key}' must be a two-letter country code such as US or GB, "
                               f"not {named!r}")
        return region
    phone = str(raw.get("phone") or "").strip()
    if phone.startswith(("+", "00")):
        try:
            number = phonenumbers.parse("+" + phone[2:] if phone.startswith("00") else phone, None)
        except phonenumbers.NumberParseException:
            return DEFAULT_PHONE_REGION
        region = phonenumbers.region_code_for_number(number)
        if region in phonenumbers.SUPPORTED_REGIONS:
            return region
    return DEFAULT_PHONE_REGION


def parse_texts(raw: object, key: str, allowed: Sequence[str], source: Path) -> Dict[str, str]:
    """An optional mapping of texts (`policies`, `offers`): only the allowed keys; empty ones left out."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or set(raw) - set(allowed):
        unknown = ", ".join(sorted(set(raw) - set(allowed))) if isinstance(raw, dict) else "a list"
        raise ProfileError(f"{source}: '{key}' takes only {', '.join(allowed)} (not {unknown})")
    texts = {}
    for name, text in raw.items():
        if text is None:
            continue  # listed but left empty: as if left out
        if not isinstance(text, str):
            raise ProfileError(f"{source}: {key}.{name} must be text, in the clinic's own words")
        if text.strip():
            texts[name] = " ".join(text.split())
    return texts


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
    country = parse_phone_region(raw, source)
    try:
        open_hours = parse_open_hours(raw.get("open_hours"))
    except OpeningHoursError as error:
        raise ProfileError(f"{source}: {error}") from error
    try:
        crisis = crisis_lines_for(country)
    except CrisisLinesError as error:
        raise ProfileError(f"{source}: {error}") from error
    return ClinicProfile(
        **{key: _required_text(raw, key, source) for key in text_keys},
        insurers=[i.strip() for i in insurers] or ["(none listed)"],
        demo=bool(raw.get("demo", False)),
        timezone=zone,
        widget_colours=parse_widget_colours(raw.get("widget_colours"), source),
        phone_region=country,
        crisis=crisis,
        policies=parse_texts(raw.get("policies"), "policies", list(POLICY_TOPICS), source),
        offers=parse_texts(raw.get("offers"), "offers", OFFER_KEYS, source),
        open_hours=open_hours,
    )


def is_on(environ: Dict[str, str], variable: str) -> bool:
    return environ.get(variable, "").strip().lower() in TRUE_WORDS


def profile_path(environ: Optional[Dict[str, str]] = None) -> Path:
    environ = os.environ if environ is None else environ
    chosen = environ.get(PROFILE_ENV_VAR, "").strip()
    if not chosen:
        if is_on(environ, REQUIRED_ENV_VAR):
            raise ProfileError(f"{PROFILE_ENV_VAR} is not set: this deployment needs the clinic's own profile "
                               f"(copy clinic/demo.yml, fill in every fact, set demo: false)")
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


def check_deployable(profile: ClinicProfile, path: Path, environ: Optional[Dict[str, str]] = None) -> None:
    """Refuses a demo profile where a real one is required, unless a demo is intended."""
    environ = os.environ if environ is None else environ
    if profile.demo and is_on(environ, REQUIRED_ENV_VAR) and not is_on(environ, ALLOW_DEMO_ENV_VAR):
        raise ProfileError(f"{path} is a demo profile with fictional contact details (demo: true); set "
                           f"{PROFILE_ENV_VAR} to the clinic's own profile, or {ALLOW_DEMO_ENV_VAR}=true "
                           f"if this deployment is a demo")


def chosen_profile(environ: Optional[Dict[str, str]] = None) -> ClinicProfile:
    """The profile the environment chooses, checked as the deployment requires."""
    path = profile_path(environ)
    profile = load_profile(path)
    check_deployable(profile, path, environ)
    return profile


@lru_cache(maxsize=1)
def current_profile() -> ClinicProfile:
    """The profile chosen by the environment, read once per process."""
    return chosen_profile()
