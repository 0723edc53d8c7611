"""Compare parsed findings with a class's criteria in the knowledge base.

The criteria are the features the feature rule gives the class (``ckepe.feature_rule``):
each feature concept's fully specified name and the criterion text of its features.tsv rows,
parsed by the same parser as the claims (cached). The competitors' characteristic features
are parsed the same way. A claimed finding

- agrees with a criterion when they speak of the same attribute (PR, QRS, ST, T, R, axis,
  rate, ...) and agree positively (the same value on a direction axis, overlapping leads, or
  a pathognomonic attribute such as flutter waves or a delta wave) with no field opposed;
- has the ``wrong_direction`` when every criterion on its attribute states the opposite value
  on a shared axis (elevation vs depression, high vs low, premature vs late, ...);
- has the ``wrong_leads`` when the criteria on its attribute name leads disjoint from its
  own, or the class is a regional one ("inferior myocardial infarction") and the claimed
  leads lie outside its territory;
- characterises a ``competitor`` when it agrees with a competing label's characteristic
  feature and with none of the class's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from ckepe.feature_rule import ClassFeatures
from ckepe.findings.lexicon import SPECIFIC_ATTRIBUTES
from ckepe.findings.parse import NORMAL, ParsedFinding, parse_clause, parse_leads, split_clauses
from ckepe.terminology import GraphTerminology

AGREE, WRONG_DIRECTION, WRONG_LEADS, NONE = "agree", "wrong_direction", "wrong_leads", "none"
# values a normal ECG has: "normal" on an axis agrees with them
_NORMAL_STATES = frozenset({NORMAL, "upright", "regular"})
_CONTIGUOUS = re.compile(r"\b(?:two|2) (?:or more )?(?:anatomically )?contiguous leads\b")
_ONLY = re.compile(r"\b(?:only|alone|isolated|single lead|one lead)\b")


def _one_lead(claim: ParsedFinding) -> bool:
    return len(claim.leads) == 1 and _ONLY.search(claim.text.lower()) is not None


_REGIONAL = re.compile(r"infarct|isch[a]?emi|injury|aneurysm", re.IGNORECASE)


@dataclass(frozen=True)
class Known:
    """One criterion of the knowledge base, parsed: the feature concept's name and each
    clause of its criterion texts ("S V1 + R V5 or V6 > 35 mm" is two: a wave keeps its
    own leads)."""

    concept_id: str
    finding: ParsedFinding  # everything merged (attributes, leads, directions)
    fsn_leads: frozenset[str]
    owner: str  # the class concept (own criteria) or the competitor's concept
    fsn: ParsedFinding | None = None  # the concept's own name, parsed (for absences)
    parts: tuple[ParsedFinding, ...] = ()


def relate_known(claim: ParsedFinding, k: Known, strict: bool = False) -> str:
    """The claim against one criterion: agreement with its name or any clause of its
    criterion text wins, then a wrong direction, then wrong leads."""
    if strict and k.fsn is not None and set(claim.residue) & set(k.fsn.text.lower().split()):
        strict = False  # the claim shares a word of the criterion's name ("notched")
    if claim.polarity != "present" and k.fsn is not None:
        # an absence is compared with the concept's own name only: a criterion row may
        # describe what replaces the absent wave ("no P waves; flutter waves instead")
        return relate(claim, k.fsn, k.fsn_leads, strict)
    got = {relate(claim, p, k.fsn_leads, strict) for p in k.parts}
    for status in (AGREE, WRONG_DIRECTION, WRONG_LEADS):
        if status in got:
            return status
    return NONE


@lru_cache(maxsize=8192)
def _parse_known(text: str) -> ParsedFinding:
    return parse_clause(text)


def _criterion_clauses(text: str) -> list[str]:
    """The clauses of a criterion text; "+" joins two waves' own leads ("S V1 + R V5")."""
    return [c for part in re.split(r"\s\+\s|\(|\)", text) for c in split_clauses(part)]


def merge(texts: Sequence[str]) -> ParsedFinding:
    """One finding from several descriptions of one criterion (fsn first)."""
    parts = [_parse_known(t) for t in texts if t]
    dirs: dict[str, str] = {}
    for p in parts:
        for a, v in p.directions:
            dirs.setdefault(a, v)
    return ParsedFinding(
        text=texts[0] if texts else "",
        core=texts[0] if texts else "",
        polarity=parts[0].polarity if parts else "present",
        leads=frozenset().union(*(p.leads for p in parts)) if parts else frozenset(),
        attributes=frozenset().union(*(p.attributes for p in parts)) if parts else frozenset(),
        directions=tuple(sorted(dirs.items())),
        quantities=tuple(q for p in parts for q in p.quantities),
    )


def relate(
    claim: ParsedFinding, known: ParsedFinding, leads_hint: frozenset[str], strict: bool = False
) -> str:
    """How a claimed finding stands to one criterion: agree, wrong_direction, wrong_leads or
    none (another attribute, or nothing positive in common). ``leads_hint``: the concept's
    own leads, for a criterion clause that names none."""
    shared = claim.attributes & known.attributes
    if not shared or claim.polarity != known.polarity:
        return NONE
    axes = (claim.axes | known.axes) - {"*"}
    if "*" in claim.axes and "*" in known.axes:
        axes |= {"*"}
    specific = bool(shared & SPECIFIC_ATTRIBUTES)
    matched = False  # a direction the claim states and the criterion states alike
    for axis in axes:
        cv, kv = claim.direction(axis), known.direction(axis)
        if axis == "*":
            cv = kv = NORMAL
        if cv is None or kv is None:
            continue
        if {cv, kv} <= _NORMAL_STATES:  # "normal P wave" and "upright P wave" agree
            cv = kv
        if cv != kv:
            return WRONG_DIRECTION
        matched = True
    if _one_lead(claim) and _CONTIGUOUS.search(known.text.lower()):
        return WRONG_LEADS  # "in aVR only" for a criterion of two contiguous leads (S10)
    leads = known.leads or leads_hint
    overlap = False
    if claim.leads and leads:
        if not claim.leads & leads:
            # leads disagree on the same finding: the same direction, or none stated
            return WRONG_LEADS if matched or not claim.axes else NONE
        overlap = True
    # a claim that states a direction agrees only through it; one without, through its
    # leads or a pathognomonic attribute (``strict``: not through leads alone)
    if claim.axes:
        return AGREE if matched else NONE
    return AGREE if specific or (overlap and not strict) else NONE


class ClassStructure:
    """A class's criteria and its competitors', parsed, for structural comparison."""

    def __init__(
        self,
        term: GraphTerminology,
        class_concepts: Sequence[str],
        feat: ClassFeatures,
        names: Sequence[str] = (),
    ) -> None:
        self.term = term
        rows: dict[str, list[str]] = {}
        for c in class_concepts:
            for f in term.features(c, include_descendants=True):
                rows.setdefault(f.concept_id, []).append(f.criterion)
        self.own = [self._known(fid, rows.get(fid, []), class_concepts[0]) for fid in feat.allowed]
        rival_rows: dict[str, list[str]] = {}
        for fid, rival in feat.rivals.items():
            if fid in feat.allowed:
                continue
            for f in term.features(rival, include_descendants=False):
                if f.concept_id == fid:
                    rival_rows.setdefault(fid, []).append(f.criterion)
        self.rivals = [
            self._known(fid, rival_rows.get(fid, []), rival)
            for fid, rival in feat.rivals.items()
            if fid not in feat.allowed
        ]
        self.all_leads = (
            frozenset().union(*(k.finding.leads for k in self.own)) if self.own else frozenset()
        )
        words = " ".join([*names, *(term.fsn(c) for c in class_concepts if c in term)])
        self.territory = (
            parse_leads(words, bare_groups=True)[0] if _REGIONAL.search(words) else frozenset()
        )
        self.normal = any(
            re.search(r"\bnormal\b", n, re.IGNORECASE) or n.strip().lower() == "sinus rhythm"
            for n in [*names, *(term.fsn(c) for c in class_concepts if c in term)]
        )

    def _known(self, fid: str, criteria: list[str], owner: str) -> Known:
        fsn = self.term.fsn(fid)
        own = _parse_known(fsn)
        parts = [own]
        for text in criteria:
            whole = _parse_known(text)
            for c in _criterion_clauses(text):
                # a clause without a direction takes its criterion's, or the concept name's
                # ("S V1 + R V5 or V6 > 35 mm" of "Sokolow-Lyon index above 35 mm": high)
                part = _parse_known(c)
                if not part.axes:
                    part = replace(part, directions=whole.directions or own.directions)
                parts.append(part)
        return Known(fid, merge([fsn, *criteria]), own.leads, owner, own, tuple(parts))

    def compare(self, claim: ParsedFinding) -> tuple[str, Known | None]:
        """The claim against the class's own criteria (see the module docstring)."""
        return _best(claim, self.own)

    def competitor(self, claim: ParsedFinding) -> Known | None:
        """The competing label's criterion the claim agrees with, when it agrees with none
        of the class's own; leads alone are not enough to name a competitor ("terminal R
        wave in V1" is RBBB's as much as RVH's)."""
        if _best(claim, self.own)[0] == AGREE:
            return None
        status, k = _best(claim, self.rivals, strict=True)
        return k if status == AGREE else None

    def supports_all(self, claim: ParsedFinding) -> bool:
        """Every direction the claim states is stated alike by a criterion of the class on
        one of the claim's attributes (what verification by structure needs)."""
        for axis in claim.axes - {"*"}:
            want = claim.direction(axis)
            if not any(
                p.attributes & claim.attributes and p.direction(axis) == want
                for k in self.own
                for p in k.parts
            ):
                return False
        return True

    def of_concept(self, cid: str) -> Known | None:
        """The parsed criterion of one of the class's feature concepts."""
        return next((k for k in self.own if k.concept_id == cid), None)

    def outside_territory(self, claim: ParsedFinding) -> bool:
        """A regional class's claim whose leads all lie outside the class's territory."""
        if re.search(r"\breciprocal\b|\bmirror\b", claim.text, re.IGNORECASE):
            return False  # reciprocal change lies outside the territory by definition
        return bool(self.territory and claim.leads and not claim.leads & self.territory)


def _best(
    claim: ParsedFinding, known: Sequence[Known], strict: bool = False
) -> tuple[str, Known | None]:
    found: dict[str, Known] = {}
    for k in known:
        found.setdefault(relate_known(claim, k, strict), k)
    if WRONG_LEADS in found and _one_lead(claim):  # one lead where a criterion needs two
        return WRONG_LEADS, found[WRONG_LEADS]
    if AGREE in found:
        opposed = _opposed_axis(claim, known)
        return (WRONG_DIRECTION, opposed) if opposed is not None else (AGREE, found[AGREE])
    for status in (WRONG_DIRECTION, WRONG_LEADS):
        if status in found:
            return status, found[status]
    return NONE, None


def _opposed_axis(claim: ParsedFinding, known: Sequence[Known]) -> Known | None:
    """A criterion opposing one of the claim's directions that no criterion states alike
    ("premature wide complex" for a class whose wide complex is late: the width agrees
    with one criterion, the timing is opposed by another)."""
    if claim.polarity != "present":
        return None
    for axis in claim.axes - {"*"}:
        want = claim.direction(axis)
        values: dict[str, Known] = {}
        for k in known:
            for p in k.parts:
                v = p.direction(axis) if p.attributes & claim.attributes else None
                if v is not None and (axis, "*") not in p.directions:
                    values.setdefault(v, k)
        if values and want not in values:
            return next(iter(values.values()))
    return None


def field_check(
    structure: ClassStructure, claim: ParsedFinding, concept_id: str | None, concept_negative: bool
) -> tuple[str, str] | None:
    """(code, reason) when a claim grounded to one of the class's concepts disagrees with
    that concept's criterion in a field the string match ignored; None when it agrees.
    ``concept_negative``: the concept's own term carries the negation ("absent P waves")."""
    if claim.polarity != "present" and not concept_negative:
        return "negated", f"denies the class's own finding ({claim.cue!r}: {claim.core!r})"
    known = structure.of_concept(concept_id) if concept_id else None
    if known is not None:
        status = relate_known(claim, known)
        if status == WRONG_LEADS:
            want = ", ".join(sorted(known.fsn_leads or known.finding.leads))
            return (
                WRONG_LEADS,
                f"says leads {', '.join(sorted(claim.leads))}; the criterion's are {want}",
            )
        if status == WRONG_DIRECTION:
            return WRONG_DIRECTION, f"the criterion is {structure.term.name(known.concept_id)!r}"
    if structure.outside_territory(claim):
        return WRONG_LEADS, (
            f"says leads {', '.join(sorted(claim.leads))}, outside the class's territory "
            f"({', '.join(sorted(structure.territory))})"
        )
    return None
