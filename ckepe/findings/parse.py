"""Parse a phrase into findings: clauses, negation with scope, leads, direction, quantity.

A claim is split into clauses (";", sentence ends, and "and" / "with" / "followed by" / ","
where both sides name something: a lead list "I, aVL, V5 and V6" or a range "between 110 and
119 ms" is not cut). Each clause is one :class:`ParsedFinding`. Grounding the clause to a
concept is the grounder's work (``ckepe.grounding``); this module reads the modifiers a
string match ignores.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from ckepe.criteria import DOWN, EQ, Criterion, parse_criteria
from ckepe.findings.lexicon import (
    ATTRIBUTE_PATTERNS,
    DIRECTION_WORDS,
    HEAD_WORDS,
    INJECTION_RE,
    LEAD_GROUPS,
    LEAD_KEY,
    NORMAL_PHRASES,
    PLACEHOLDER_TOKENS,
    PLACEHOLDERS,
    POST_NEGATION,
    PRE_NEGATION,
    PSEUDO_NEGATION,
    SPLIT_WORDS,
)
from ckepe.grounding import STOP

PRESENT, ABSENT = "present", "absent"
NORMAL = "normal"
# quantity → (attribute, axis, value when above ``hi``, value when below ``lo``, lo, hi):
# a criterion wholly above ``hi`` (or below ``lo``) states that direction; one wholly inside
# [lo, hi] states a normal value. Limits: S06 (QRS), S13 (PR), S07 (QTc), S23 (rate),
# S06 (axis), S08 (P wave), S15/S08 (voltage).
_QUANTITY_DIRECTION: dict[str, tuple[str, str, str, str, float, float]] = {
    "pr": ("pr", "duration", "prolonged", "short", 120.0, 200.0),
    "qrs": ("qrs", "duration", "prolonged", "short", 0.0, 110.0),
    "qtc": ("qt", "duration", "prolonged", "short", 390.0, 440.0),
    "heart_rate": ("rate", "rate", "fast", "slow", 60.0, 100.0),
    "ventricular_rate": ("rate", "rate", "fast", "slow", 60.0, 100.0),
    "atrial_rate": ("rate", "rate", "fast", "slow", 60.0, 100.0),
    "axis": ("axis", "side", "right", "left", -30.0, 90.0),
    "p_duration": ("p", "duration", "prolonged", "short", 0.0, 110.0),
    "p_amplitude": ("p", "amplitude", "high", "low", 0.0, 1.5),
    "sokolow": ("qrs", "amplitude", "high", "low", 0.0, 35.0),
    "r_avl": ("r", "amplitude", "high", "low", 0.0, 11.0),
    "qrs_amplitude_limb": ("qrs", "amplitude", "high", "low", 5.0, 20.0),
    "qrs_amplitude_precordial": ("qrs", "amplitude", "high", "low", 10.0, 35.0),
    "t_amplitude": ("t", "amplitude", "high", "low", 1.0, 10.0),
}
_FIXED_DIRECTION = {
    "st_elevation": ("st", "deviation", "elevation"),
    "st_depression": ("st", "deviation", "depression"),
    "t_inversion": ("t", "polarity", "inverted"),
}


@dataclass(frozen=True)
class ParsedFinding:
    """One finding of a claim: what it is about and how it is qualified."""

    text: str
    core: str
    polarity: str = PRESENT
    cue: str = ""
    leads: frozenset[str] = frozenset()
    attributes: frozenset[str] = frozenset()
    directions: tuple[tuple[str, str], ...] = ()
    quantities: tuple[Criterion, ...] = ()
    residue: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def direction(self, axis: str) -> str | None:
        """The value this finding states on ``axis`` (``normal`` counts on every axis)."""
        for a, v in self.directions:
            if a == axis:
                return v
        return NORMAL if any(a == "*" for a, _ in self.directions) else None

    @property
    def axes(self) -> frozenset[str]:
        return frozenset(a for a, _ in self.directions)


def prepare(text: str) -> str:
    """Lower case, one form for primes, dashes and spaces; hyphens between words go."""
    t = unicodedata.normalize("NFKC", text).lower()
    t = t.replace("′", "'").replace("’", "'").replace("–", "-").replace("—", "-")
    t = t.replace("≥", " >= ").replace("≤", " <= ").replace("st-t", "st t")
    t = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", t)
    return " ".join(t.split())


# -- leads ------------------------------------------------------------------------------
_RANGE = re.compile(r"\bv([1-6])\s*(?:-|to|through|thru)\s*v?([1-6])\b")
_TOKEN = re.compile(r"[a-z0-9']+|[,/]")


def _group_re(bare: bool) -> re.Pattern[str]:
    """Lead groups, also joined ("inferior and lateral leads", "lateral or inferior leads")."""
    names = "|".join(sorted((re.escape(g) for g in LEAD_GROUPS), key=len, reverse=True))
    tail = r"(?: precordial| chest| limb)?(?: leads?| wall| territory)" + ("?" if bare else "")
    return re.compile(
        rf"\b((?:(?:{names})(?:\s*,\s*|\s+and/or\s+|\s+and\s+|\s+or\s+))*(?:{names})){tail}\b"
    )


_GROUP = _group_re(False)
_GROUP_BARE = _group_re(True)


def parse_leads(text: str, bare_groups: bool = False) -> tuple[frozenset[str], str]:
    """The leads a text names, and the text with them taken out. ``bare_groups``: a group
    word alone ("inferior") is a territory, as in a class name; in a claim it needs "leads"
    ("inferior leads") or "wall"."""
    t = prepare(text)
    out: set[str] = set()

    def rng(m: re.Match[str]) -> str:
        a, b = int(m.group(1)), int(m.group(2))
        if a <= b:
            out.update(f"V{i}" for i in range(a, b + 1))
        return " "

    t = _RANGE.sub(rng, t)

    def grp(m: re.Match[str]) -> str:
        seg = m.group(1)
        for g in sorted(LEAD_GROUPS, key=len, reverse=True):  # "high lateral" before "lateral"
            pat = rf"\b{re.escape(g)}\b"
            if re.search(pat, seg):
                out.update(LEAD_GROUPS[g])
                seg = re.sub(pat, " ", seg)
        return " "

    t = (_GROUP_BARE if bare_groups else _GROUP).sub(grp, t)
    toks = _TOKEN.findall(t)
    keep = []
    for i, tok in enumerate(toks):
        if tok in LEAD_KEY and (tok != "i" or _lead_context(toks, i)):
            out.add(LEAD_KEY[tok])
            continue
        keep.append(tok)
    rest = " ".join(k for k in keep if k not in (",", "/"))
    rest = re.sub(r"\b(?:in |on )?(?:the )?(?:leads?|two contiguous leads)\b", " ", rest)
    return frozenset(out), " ".join(rest.split())


def _lead_context(toks: list[str], i: int) -> bool:
    """Lead "I" (not the pronoun): after "lead(s)" or next to another lead in a list."""

    def near(step: int) -> str:
        j = i + step
        while 0 <= j < len(toks) and toks[j] in (",", "/", "and", "or"):
            j += step
        return toks[j] if 0 <= j < len(toks) else ""

    prev = toks[i - 1] if i else ""
    return prev in ("lead", "leads") or near(1) in LEAD_KEY or near(-1) in LEAD_KEY


# -- directions, attributes, negation ---------------------------------------------------
def _directions(text: str, quantities: tuple[Criterion, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for q in quantities:
        got = quantity_direction(q)
        if got:
            out.setdefault(got[1], got[2])
    # "above the normal limits" is high, "below normal" low, "outside normal limits" neither
    text = re.sub(
        r"\b(?:above|over|exceeding|beyond) (?:the )?(?:upper )?normal\b", " increased ", text
    )
    text = re.sub(r"\b(?:below|under) (?:the )?(?:lower )?normal\b", " reduced ", text)
    text = re.sub(
        r"\b(?:above|exceeding|over) (?:the )?(?:[a-z-]+ ){0,2}limits?\b", " increased ", text
    )
    text = re.sub(r"\b(?:outside|abnormal)\b.*", " ", text) if "outside" in text else text
    if any(re.search(rf"\b{re.escape(p)}\b", text) for p in NORMAL_PHRASES) and not re.search(
        r"\babnormal\b", text
    ):
        out.setdefault("*", NORMAL)
    sided = re.search(r"\baxis\b|\bdeviation\b", text) is not None
    for tok in text.split():
        if tok in DIRECTION_WORDS:
            axis, value = DIRECTION_WORDS[tok]
            if axis == "side" and not sided:  # "left ventricular", "right bundle": names
                continue
            out.setdefault(axis, value)
    return out


def quantity_direction(c: Criterion) -> tuple[str, str, str] | None:
    """(attribute, axis, value) a numeric criterion states (None when it says nothing)."""
    if c.quantity in _FIXED_DIRECTION:
        return _FIXED_DIRECTION[c.quantity]
    spec = _QUANTITY_DIRECTION.get(c.quantity)
    if spec is None:
        return None
    attr, axis, above, below, lo, hi = spec
    a, b = c.bounds()
    if c.op == EQ:
        b = a
    if a >= hi:
        return attr, axis, above
    if b <= lo:
        return attr, axis, below
    if lo <= a and b <= hi:
        return attr, axis, NORMAL
    if c.op == DOWN and attr in ("qrs", "qt", "p") and b <= hi + 10:  # "QRS < 120 ms"
        return attr, axis, NORMAL
    return None


def _attributes(text: str, quantities: tuple[Criterion, ...]) -> frozenset[str]:
    out = {a for a, pat in ATTRIBUTE_PATTERNS if re.search(pat, text)}
    for q in quantities:
        got = quantity_direction(q)
        if got:
            out.add(got[0])
    if "axis" in out:
        out.discard("qrs")
    return frozenset(out)


def _negation(text: str) -> tuple[str, str]:
    """(cue, text without the cue) of a clause, ("", text) when it is not negated."""
    masked = text
    for p in PSEUDO_NEGATION:
        masked = re.sub(rf"\b{re.escape(p)}\b", lambda m: "#" * len(m.group(0)), masked)
    for cue in PRE_NEGATION + POST_NEGATION:
        m = re.search(rf"(?<![\w-])\b{re.escape(cue)}\b(?!-)", masked)
        if m and cue == "without" and masked[: m.start()].strip():
            continue  # "X without Y" states X: the splitter gives "without Y" its own clause
        if m:
            core = text[: m.start()] + " " + text[m.end() :]
            core = re.sub(r"\b(?:is|are|was|were|be|been|do|does|did|any|a|an|of)\b", " ", core)
            return cue, " ".join(core.split())
    return "", text


# -- clauses ----------------------------------------------------------------------------
# a mid-clause "without" starts a negated finding of its own ("chaotic atrial activity
# without P waves": the activity is present, the P waves absent): cut before it, keep it
_SPLIT = re.compile(
    r"\s*(?:,\s*(?:and\s+|with\s+|but\s+)?|\s(?:" + "|".join(SPLIT_WORDS) + r")\s)\s*"
    r"|\s(?=without\s)"
)
_COPULA = re.compile(r"\b(?:is|are|was|were|be|being|been)$")


def _has_head(text: str) -> bool:
    toks = set(re.findall(r"[a-z0-9']+", text))
    return bool(toks & HEAD_WORDS)


def split_clauses(text: str) -> list[str]:
    """The clauses of a claim (see the module docstring)."""
    out: list[str] = []
    flat = " ".join(text.replace("\n", " ; ").split())
    for piece in re.split(r";|(?<!\d)\.(?:\s+|$)", flat):
        piece = piece.strip(" .,")
        if not piece:
            continue
        pos = 0
        parts: list[tuple[str, str]] = []  # (separator before, part)
        sep = ""
        low = piece.lower()
        for m in _SPLIT.finditer(low):
            parts.append((sep, piece[pos : m.start()]))
            sep, pos = piece[m.start() : m.end()], m.end()
        parts.append((sep, piece[pos:]))
        merged: list[str] = []
        for sep, part in parts:
            if merged and (
                not _has_head(prepare(part))
                or not _has_head(prepare(merged[-1]))
                or _COPULA.search(merged[-1].lower())  # "every P wave is followed by a QRS"
                or (  # "between P waves and QRS complexes"
                    sep.strip().lower() == "and"
                    and re.search(r"\bbetween\b(?!.*\band\b)", merged[-1].lower()) is not None
                )
            ):
                merged[-1] = merged[-1] + sep + part
            else:
                merged.append(part)
        out += [m.strip(" ,") for m in merged if m.strip(" ,")]
    return out


# -- one clause -------------------------------------------------------------------------
_NUMBER = re.compile(r"^[<>=+\-.\d/]+$|^\d+(?:\.\d+)?[a-z]*$")
_UNITS = frozenset("ms s sec mv mm bpm min minute degree degrees per".split())


@lru_cache(maxsize=32768)
def parse_clause(text: str, bare_groups: bool = False) -> ParsedFinding:
    """One clause read as a finding (no grounding: ``core`` is what the grounder reads)."""
    t = prepare(text)
    cue, core_t = _negation(t)
    cue_orig, core = ("", text) if not cue else _strip_cue(text, cue)
    leads, rest = parse_leads(core_t, bare_groups)
    quantities = tuple(parse_criteria(core_t))
    if not quantities and re.search(r"\d\s*(?:/ ?min\b|per min|bpm\b|beats)", core_t):
        quantities = tuple(parse_criteria(f"rate {core_t}"))  # "activity at 300 per minute"
    dirs = _directions(rest, quantities)
    attrs = _attributes(core_t, quantities)
    if "regularity" in dirs and not attrs & {"p", "pr", "t", "st"}:
        attrs |= {"rr"}  # "regular narrow tachycardia": regularity is the rhythm's
    residue = []
    for tok in re.findall(r"[a-z][a-z']*", rest):
        if (
            tok in STOP
            or tok in DIRECTION_WORDS
            or tok in _UNITS
            or _NUMBER.match(tok)
            or tok in HEAD_WORDS
            or len(tok) == 1
            or tok in ("normal", "not", "no", "only", "within", "limits")
        ):
            continue
        residue.append(tok)
    return ParsedFinding(
        text=text,
        core=core,
        polarity=ABSENT if cue else PRESENT,
        cue=cue_orig or cue,
        leads=leads,
        attributes=attrs,
        directions=tuple(sorted(dirs.items())),
        quantities=quantities,
        residue=tuple(dict.fromkeys(residue)),
    )


def _strip_cue(text: str, cue: str) -> tuple[str, str]:
    m = re.search(rf"(?<![\w-])\b{re.escape(cue)}\b(?!-)", text, re.IGNORECASE)
    if not m:
        return cue, text
    core = text[: m.start()] + " " + text[m.end() :]
    core = re.sub(r"\b(?:is|are|was|were|be|been|do|does|did|any|an?|of)\b", " ", core, flags=re.I)
    return m.group(0), " ".join(core.split())


def parse_claim(text: str) -> list[ParsedFinding]:
    """Every finding of a claim, one per clause."""
    return [parse_clause(c) for c in split_clauses(text)]


# -- text that is no claim --------------------------------------------------------------
def placeholder(text: str) -> str | None:
    """The placeholder a phrase is or contains ("N/A", "TBD", "...", "none"), else None."""
    t = " ".join(unicodedata.normalize("NFKC", text).lower().split())
    bare = t.strip(" .:;,-_*?!")
    if not re.sub(r"[\W_]+", "", t) or t in PLACEHOLDERS or bare in PLACEHOLDERS:
        return text.strip() or "(blank)"
    m = PLACEHOLDER_TOKENS.search(t)
    return m.group(0).strip(" :([") if m else None


def injection(text: str) -> str | None:
    """The marker of injected or non-clinical text (an instruction, markup, a foreign
    script), else None."""
    m = INJECTION_RE.search(text)
    if m:
        return m.group(0).strip()
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\t\n":
            return f"control character U+{ord(ch):04X}"
        if ch.isalpha() and not ch.isascii():
            name = unicodedata.name(ch, "")
            if not name.startswith(("LATIN", "GREEK SMALL LETTER MU", "MICRO")):
                return f"{name.split(' ')[0].title() or 'non-Latin'} script ({ch})"
    return None
