"""Term normalisation shared by the terminology index, verification and the audit.

Two phrases that differ only in case, punctuation, hyphenation, plural endings, ordinal
spelling ("1st" / "first") or a SNOMED CT semantic tag ("(disorder)") normalise to the same
key, so that a claim grounds to a concept whichever way it is written.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

SEMANTIC_TAG = re.compile(
    r"\s*\((?:disorder|finding|observable entity|morphologic abnormality|"
    r"procedure|qualifier value|situation|regime/therapy|body structure|"
    r"event|navigational concept)\)\s*$",
    re.IGNORECASE,
)

_SYMBOLS = {
    "≥": " >= ",
    "≤": " <= ",
    "°": " degrees ",
    "µ": "u",
    "μ": "u",  # NFKC turns the micro sign into Greek mu
    "–": "-",
    "—": "-",
    "’": "'",
    "&": " and ",
    "+": " plus ",
}
_TOKEN_MAP = {
    "1st": "first",
    "2nd": "second",
    "3rd": "third",
    "ekg": "ecg",
    "msec": "ms",
    "millisecond": "ms",
    "milliseconds": "ms",
}
_PHRASE_MAP = (
    ("a v ", "av "),
    ("atrio ventricular", "atrioventricular"),
    ("s t ", "st "),
    ("q t ", "qt "),
)
_SEPARATORS = re.compile(r"(?:[^a-z0-9<>=.\x80-\U0010ffff]|[\s′″…–’])+")
# Tokens that end in "s" but are not plurals.
_KEEP_S = {
    "axis",
    "bundle",
    "his",
    "stenosis",
    "sinus",
    "ms",
    "status",
    "plus",
    "less",
    "always",
    "various",
    "previous",
    "us",
    "is",
    "was",
    "has",
    "as",
    "this",
}


def strip_semantic_tag(term: str) -> str:
    """Drop a trailing SNOMED CT semantic tag such as ``(disorder)``."""
    return SEMANTIC_TAG.sub("", term).strip()


def _singular(token: str) -> str:
    if len(token) <= 3 or token in _KEEP_S or not token.endswith("s"):
        return token
    if token.endswith(("ss", "us", "is")):
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith("xes"):
        return token[:-2]
    return token[:-1]


@lru_cache(maxsize=65536)
def normalize_term(text: str) -> str:
    """Normalise a term or phrase into its matching key (lower case, no punctuation)."""
    text = unicodedata.normalize("NFKC", text)
    for sym, rep in _SYMBOLS.items():
        text = text.replace(sym, rep)
    text = strip_semantic_tag(text).lower()
    text = text.replace("'s ", " ").replace("'", "")
    # ASCII punctuation and the allowlisted symbols separate words; any other character
    # (another script, a control or format character) stays, so it never matches a term
    text = _SEPARATORS.sub(" ", text)
    text = re.sub(r"(?<![0-9])\.|\.(?![0-9])", " ", text)  # keep decimal points only
    text = f" {' '.join(text.split())} "
    for old, new in _PHRASE_MAP:
        text = text.replace(f" {old}", f" {new}")
    tokens = [_TOKEN_MAP.get(t, t) for t in text.split()]
    return " ".join(_singular(t) for t in tokens)


def word_count(text: str) -> int:
    """Number of whitespace-separated words."""
    return len(text.split())


def contains_phrase(haystack_norm: str, needle_norm: str) -> bool:
    """True when the normalised needle occurs in the normalised haystack on word boundaries."""
    if not needle_norm:
        return False
    return f" {needle_norm} " in f" {haystack_norm} "
