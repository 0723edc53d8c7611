"""A claim read as findings, not as a string.

Each phrase is split into clauses and each clause parsed into a :class:`ParsedFinding`:
polarity (present/absent, NegEx-style cues with the clause as their scope, pseudo-negations
such as "not only" ignored), leads or territory (lead lists, ranges "V1-V3", groups
"inferior leads", "right precordial leads"), direction on an axis (elevation/depression,
high/low amplitude, prolonged/short, premature/late, fast/slow, upright/inverted,
regular/irregular, left/right, and "normal" on any axis; numeric criteria give their
direction too: "PR interval above 200 ms" is a prolonged PR), quantities
(``ckepe.criteria``), and the residue nothing parsed. ``ckepe.findings.structure`` compares
the findings with a class's criteria in the knowledge base, parsed by the same functions.

Why a small grammar of our own and not medspaCy/negspacy: the claims are short (one to
three clauses of ECG vocabulary), the cues and their scope are a handful of words, and the
modifiers that decide a verdict here (leads, direction on an ECG axis, numeric criteria)
are not part of ConText's modifier set, so we would write them ourselves anyway. spaCy
would add a language model that must not download at run time and a second tokenisation
beside the terminology's own normalisation. The cue lists follow NegEx/ConText (pre- and
post-negation cues, pseudo-negations, scope ended by the clause: "but", ";", "with").
Misspellings: ``ckepe.findings.fuzzy`` (rapidfuzz) proposes a correction of words the
terminology does not know; the corrected claim is then judged like any other, so a fuzzy
match never verifies by itself.
"""

from ckepe.findings.parse import (
    ABSENT,
    NORMAL,
    PRESENT,
    ParsedFinding,
    injection,
    parse_claim,
    parse_clause,
    parse_leads,
    placeholder,
    split_clauses,
)

__all__ = [
    "ABSENT",
    "NORMAL",
    "PRESENT",
    "ParsedFinding",
    "injection",
    "parse_claim",
    "parse_clause",
    "parse_leads",
    "placeholder",
    "split_clauses",
]
