"""The 50 US states, keyed by USPS code."""

from __future__ import annotations

from dataclasses import dataclass

from humangov.domain.errors import NotFound

STATE_NAMES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
    "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire",
    "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}


@dataclass(frozen=True, slots=True)
class State:
    code: str
    name: str


def normalize_code(code: str) -> str:
    """Return the canonical USPS code, or raise NotFound for anything that is not a state."""
    canonical = code.strip().upper()
    if canonical not in STATE_NAMES:
        raise NotFound(f"There is no US state with the code {code!r}. Use a USPS code such as CA.")
    return canonical


def state_for(code: str) -> State:
    canonical = normalize_code(code)
    return State(canonical, STATE_NAMES[canonical])
