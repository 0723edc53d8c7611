"""Numeric ECG criteria: parse "QRS duration of 120 ms or more" into (quantity, op, value, unit).

Comparators are read from symbols and words ("≥", "at least", "or more", "above", "under",
"between … and …", "60-100"); units are converted to one unit per quantity (ms for
intervals, per minute for rates, mm for ST deviation and voltages with 1 mV = 10 mm, degrees
for the axis) so that "PR above 0.20 s" equals "PR interval longer than 200 ms".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# quantity → patterns that name it (checked on lower-cased text, longest first)
QUANTITIES: dict[str, tuple[str, ...]] = {
    "qtc": ("qtc", "corrected qt"),
    "qt": ("qt interval", "qt"),
    "pr": ("pr interval", "pq interval", "pr"),
    "p_duration": ("p wave duration", "p duration", "p wave of", "p wave width"),
    "p_amplitude": (
        "p wave amplitude",
        "p amplitude",
        "p wave above",
        "p wave height",
        "initial positive p wave",
    ),
    "qrs": ("qrs duration", "qrs width", "qrs interval", "qrs complex duration", "qrs"),
    "qrs_amplitude": ("qrs amplitude", "qrs voltage"),
    "ventricular_rate": ("ventricular rate", "ventricular response", "ventricular tachycardia"),
    "atrial_rate": ("atrial rate",),
    "junctional_rate": ("junctional rate",),
    "heart_rate": ("heart rate", "sinus rate", "pulse", "rate", "hr", "tachycardia", "bradycardia"),
    "st_elevation": (
        "st elevation",
        "st segment elevation",
        "st elevated",
        "j point elevation",
        "elevation of the st segment",
        "st-segment elevation",
    ),
    "st_depression": (
        "st depression",
        "st segment depression",
        "st-segment depression",
        "depression of the st segment",
    ),
    "t_inversion": ("t wave inversion", "t inversion", "inverted t wave", "negative t wave"),
    "t_amplitude": ("t wave of", "t wave amplitude", "low amplitude t wave", "flat t wave"),
    "sokolow": ("sokolow-lyon", "sokolow lyon", "sokolow", "sv1 + rv5", "sv1+rv5"),
    "r_avl": ("r wave in avl", "r in avl", "ravl"),
    "r_peak_time": ("r wave peak time", "intrinsicoid deflection"),
    "axis": ("axis",),
    "r_wave": ("r wave",),
}
UNITS = {
    "ms": ("ms", 1.0),
    "msec": ("ms", 1.0),
    "millisecond": ("ms", 1.0),
    "milliseconds": ("ms", 1.0),
    "s": ("ms", 1000.0),
    "sec": ("ms", 1000.0),
    "second": ("ms", 1000.0),
    "seconds": ("ms", 1000.0),
    "mm": ("mm", 1.0),
    "mv": ("mm", 10.0),
    "millivolt": ("mm", 10.0),
    "millivolts": ("mm", 10.0),
    "/min": ("/min", 1.0),
    "bpm": ("/min", 1.0),
    "per minute": ("/min", 1.0),
    "beats per minute": ("/min", 1.0),
    "beats/min": ("/min", 1.0),
    "per min": ("/min", 1.0),
    "degrees": ("deg", 1.0),
    "degree": ("deg", 1.0),
    "°": ("deg", 1.0),
}
UP, DOWN, RANGE, EQ = ">=", "<=", "range", "="
_UP_WORDS = (
    "(?:"
    + "|".join(
        (
            ">=",
            "≥",
            "=>",
            ">",
            "more positive than",
            "at least",
            "no less than",
            "not less than",
            "greater than or equal to",
            "more than",
            "greater than",
            "longer than",
            "wider than",
            "higher than",
            "exceeding",
            "in excess of",
            "above",
            "over",
            "beyond",
        )
    )
    + ")"
)
_DOWN_WORDS = (
    "(?:"
    + "|".join(
        (
            "<=",
            "≤",
            "=<",
            "<",
            "more negative than",
            "at most",
            "no more than",
            "not more than",
            "less than or equal to",
            "less than",
            "shorter than",
            "lower than",
            "smaller than",
            "below",
            "under",
            "up to",
        )
    )
    + ")"
)
_POST_UP = r"(?:or more|or greater|or longer|or above|or higher|or wider|and above|and over|\+)"
_POST_DOWN = r"(?:or less|or fewer|or shorter|or below|or lower|and below|and under)"
_NUM = r"(?<![a-z\d.])([+-]?\d+(?:\.\d+)?)"
_UNIT = (
    r"(beats per minute|beats/min|per minute|per min|/ ?min|bpm|milliseconds?|msec|ms|"
    r"seconds?|sec|s|millivolts?|mv|mm|degrees?|°)?"
)


@dataclass(frozen=True)
class Criterion:
    """One numeric criterion: quantity, comparator (>=, <=, range, =), value(s), unit."""

    quantity: str
    op: str
    value: float
    high: float | None = None
    unit: str = ""

    def __str__(self) -> str:
        if self.op == RANGE:
            return f"{self.quantity} {_fmt(self.value)}-{_fmt(self.high or 0)} {self.unit}".strip()
        return f"{self.quantity} {self.op} {_fmt(self.value)} {self.unit}".strip()

    def agrees(self, other: Criterion) -> bool:
        """Same quantity, comparator and value(s) (> and >= are the same direction)."""
        return (
            self.quantity == other.quantity
            and self.op == other.op
            and _close(self.value, other.value)
            and _close(self.high or 0.0, other.high or 0.0)
        )

    def opposes(self, other: Criterion) -> bool:
        """Same quantity but the two cannot both hold (disjoint ranges or directions)."""
        if self.quantity != other.quantity:
            return False
        lo1, hi1 = self.bounds()
        lo2, hi2 = other.bounds()
        return hi1 <= lo2 or hi2 <= lo1

    def bounds(self) -> tuple[float, float]:
        inf = float("inf")
        if self.op == UP:
            return self.value, inf
        if self.op == DOWN:
            return -inf, self.value
        if self.op == RANGE:
            return self.value, self.high if self.high is not None else inf
        return self.value, self.value + 1e-9


def _fmt(x: float) -> str:
    return f"{x:g}"


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _quantity(before: str) -> str | None:
    """The quantity named nearest before a number (its last mention wins)."""
    best: tuple[int, int, str] | None = None
    for q, names in QUANTITIES.items():
        for n in names:
            for m in re.finditer(rf"(?<![a-z]){re.escape(n)}(?![a-z])", before):
                key = (m.end(), len(n), q)
                if best is None or key[:2] > best[:2]:
                    best = key
    return best[2] if best else None


def _unit(raw: str | None, quantity: str) -> tuple[str, float]:
    if raw:
        raw = raw.replace(" ", "").replace("beatsperminute", "bpm").replace("permin", "/min")
        raw = {"perminute": "/min", "/min": "/min"}.get(raw, raw)
        if raw in UNITS:
            return UNITS[raw]
    default = {
        "heart_rate": "/min",
        "ventricular_rate": "/min",
        "atrial_rate": "/min",
        "junctional_rate": "/min",
        "axis": "deg",
    }.get(quantity)
    if default:
        return default, 1.0
    if quantity in (
        "st_elevation",
        "st_depression",
        "t_inversion",
        "t_amplitude",
        "sokolow",
        "r_avl",
        "qrs_amplitude",
        "p_amplitude",
        "r_wave",
    ):
        return "mm", 1.0
    return "ms", 1.0


_RANGE_RE = re.compile(rf"(?:between\s+)?{_NUM}\s*{_UNIT}\s*(?:-|–|to|and)\s*{_NUM}\s*{_UNIT}")
_PRE_RE = re.compile(rf"(?:({_UP_WORDS})|({_DOWN_WORDS}))\s*(?:of\s+)?{_NUM}\s*{_UNIT}")
_POST_RE = re.compile(rf"{_NUM}\s*{_UNIT}\s*(?:({_POST_UP})|({_POST_DOWN}))")
_BARE_RE = re.compile(rf"{_NUM}\s*{_UNIT}")


def _prepare(text: str) -> str:
    text = text.lower().replace("−", "-").replace("–", "-").replace("≥", ">=").replace("≤", "<=")
    text = re.sub(r"(\d),(\d{3})\b", r"\1\2", text)
    text = re.sub(r"\bcorrected qt(?: interval)?\b", "qtc", text)
    return re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)


def parse_criteria(text: str) -> list[Criterion]:
    """Every numeric criterion in ``text`` (empty when it has none)."""
    t = _prepare(text)
    out: list[Criterion] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    def add(
        start: int,
        end: int,
        op: str,
        v: str,
        unit: str | None,
        hi: str | None = None,
        unit2: str | None = None,
    ) -> None:
        q = _quantity(t[:start])
        if q is None or not free(start, end):
            return
        u, scale = _unit(unit2 or unit, q)
        if q == "qrs_amplitude":  # limb and precordial limits differ
            chest = re.search("precordial|chest", t)
            q += "_limb" if "limb" in t else "_precordial" if chest else ""
        low = float(v) * scale
        high = float(hi) * scale if hi is not None else None
        if high is not None and high < low:
            low, high = high, low
        out.append(Criterion(q, op, low, high, u))
        taken.append((start, end))

    for m in _RANGE_RE.finditer(t):
        if re.search(r"\d\s*$", t[: m.start()]) or m.group(1).startswith("+"):
            continue
        add(m.start(), m.end(), RANGE, m.group(1), m.group(2), m.group(3), m.group(4))
    for m in _PRE_RE.finditer(t):
        add(m.start(), m.end(), UP if m.group(1) else DOWN, m.group(3), m.group(4))
    for m in _POST_RE.finditer(t):
        add(m.start(), m.end(), UP if m.group(3) else DOWN, m.group(1), m.group(2))
    for m in _BARE_RE.finditer(t):
        if m.group(2) or _quantity(t[: m.start()]) in ("heart_rate", "pr", "qrs", "qtc", "qt"):
            if re.match(r"\s*(?:lead|leads|v\d|mm)", t[m.end() :]) and not m.group(2):
                continue
            add(m.start(), m.end(), EQ, m.group(1), m.group(2))
    return out
