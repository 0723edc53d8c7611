"""Split a prompt description into the pieces the audit judges one by one."""

from __future__ import annotations

import re
from collections.abc import Callable

from ckepe.normalize import normalize_term

_LEAD_IN = re.compile(
    r"^(?:(?:is |are )?(?:characteri[sz]ed|defined|indicated|identified|"
    r"recogni[sz]ed|diagnosed|marked) by|with|showing|shows|including|"
    r"such as|e\.?g\.?|i\.?e\.?|typically|usually|often|presence of|"
    r"evidence of|signs? of|associated with|and)\s+",
    re.IGNORECASE,
)
_SECTION = re.compile(r"^\s*(subtypes?|ecg features?|features?|synonyms?)\s*:\s*", re.I)
_SECTION_KIND = {
    "subtype": "subtype",
    "ecg feature": "feature",
    "feature": "feature",
    "synonym": "synonym",
}
_LEAD = re.compile(r"^(?:i{1,3}|avr|avl|avf|v[1-6])$", re.IGNORECASE)
_WAVE = re.compile(r"^(?:p|q|r|s|t|u|qrs|st)$", re.IGNORECASE)


def section_head(section: str) -> tuple[str, str] | None:
    """``(kind, rest)`` for a section that starts with ``subtypes:``, ``ecg features:``,
    ``features:`` or ``synonyms:`` (the kind it gives its phrases, the text after it); else
    None."""
    m = _SECTION.match(section)
    if m is None:
        return None
    return _SECTION_KIND[normalize_term(m.group(1))], section[m.end() :]


def split_pieces(text: str, is_term: Callable[[str], bool] | None = None) -> list[tuple[str, str]]:
    """Split a description into (piece, kind); no piece is assumed to be the name.

    Pieces are separated by ``;``, sentence ends and commas, except commas inside lead lists
    ("Q waves in II, III and aVF") and wave lists ("inverted P, QRS and T waves"). A section
    may start with ``subtypes:``, ``ecg features:`` or ``synonyms:``; any other ``head:`` is
    split off as its own piece. Lead-in words ("characterized by", "with") are dropped.
    ``is_term`` keeps two comma-separated pieces together when they form one known term
    ("abnormal QRS duration, amplitude or morphology").
    """
    out: list[tuple[str, str]] = []
    text = " ".join(text.replace("\n", " ; ").split()).strip()
    for section in re.split(r";|(?<!\d)\.(?:\s+|$)", text):
        section = section.strip(" .")
        if not section:
            continue
        kind = "any"
        labelled = section_head(section)
        if labelled:
            kind, section = labelled
        elif ":" in section:
            head, section = section.split(":", 1)
            out.append((head.strip(), "any"))
        merged: list[str] = []
        for part in (p.strip(" .") for p in section.split(",")):
            if merged and part and _continues(merged[-1], part):
                merged[-1] = f"{merged[-1]}, {part}"
            elif merged and part and is_term and is_term(f"{merged[-1]}, {part}"):
                merged[-1] = f"{merged[-1]}, {part}"
            elif part:
                merged.append(part)
        for part in merged:
            while True:
                stripped = _LEAD_IN.sub("", part, count=1)
                if stripped == part:
                    break
                part = stripped
            if part:
                out.append((part, kind))
    return out


def _continues(prev: str, part: str) -> bool:
    """True when ``part`` continues a lead list ("II, III") or a wave list ("P, QRS and T")."""
    last, first = prev.split()[-1], part.split()[0]
    return bool(
        (_LEAD.match(last) and _LEAD.match(first)) or (_WAVE.match(last) and _WAVE.match(first))
    )
