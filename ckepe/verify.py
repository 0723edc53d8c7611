"""Verification: ground each phrase to a concept and check its claimed relation to the class.

Rules (each rejection carries a machine code and a human reason):

- ``empty`` / ``too_long``: a phrase must have 1–``MAX_PHRASE_WORDS`` words, a description at
  most ``MAX_DESCRIPTION_WORDS`` (77: CLIP-style text encoders truncate there, and longer
  strings are a sign of free text rather than a prompt).
- ``chat_text``: conversational filler ("Here is", "Sure", "Let me know", "As an AI", markup).
- ``disallowed_chars``: a character outside the clinical-text allowlist (ckepe.textsafety),
  checked on the raw text before any normalisation.
- ``injection`` / ``placeholder``: an instruction, markup, a foreign script or a control
  character; a placeholder ("N/A", "TBD", "...", "none") (``ckepe.findings``, the rule the
  audit applies).
- ``negated`` / ``wrong_leads`` / ``wrong_direction``: the phrase grounds to a concept of the
  class but denies it ("no delta wave") or puts it in other leads or the other direction
  than the class's criterion (``ckepe.findings.structure.field_check``, shared with the
  audit).
- ``unknown_term``: the phrase matches no concept term (exact, synonym or normalised).
- ``wrong_concept``: a name/synonym that grounds to a concept other than the class concept.
- ``not_descendant``: a subtype that is not an is-a descendant of the class concept.
- ``not_linked_feature``: a feature the feature rule does not give the class
  (``ckepe.feature_rule.class_features``: linked to the class or a descendant, minus what
  characterises a competing label of the same task; the same function build and audit use).
- ``unrelated_concept``: (audit of untyped text) a concept with none of those relations.
- ``other_label``: the phrase names another label of the same label set. Rule: a phrase
  whose own concept is the class concept, a true is-a descendant of it, or a linked feature
  is allowed even when that concept is also another label's (a subtype may be a label of its
  own). Otherwise, after removing the class's own terms from the phrase (so "incomplete right
  bundle branch block" does not "mention" "right bundle branch block" for IRBBB), any
  remaining mention of another label's name or multi-word term is leakage.
- ``contradiction``: a phrase whose concept excludes an earlier one's in
  ``knowledge/contradictions.tsv`` ("regular RR intervals" vs "irregularly irregular RR
  intervals") when one of them is the class's own criterion. The later phrase is rejected.
  Subtypes, a group label's members and features reached through different subtypes are
  alternatives, not joint statements, so they are exempt.
- ``duplicate``: the same normalised text, or a subtype/feature concept already given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ckepe.feature_rule import (
    ClassFeatures,
    ContradictionTable,
    below_class,
    class_features,
    contradiction_table,
)
from ckepe.findings import injection, parse_clause, placeholder
from ckepe.findings.pieces import section_head
from ckepe.findings.structure import ClassStructure, field_check
from ckepe.grounding import canonical_words
from ckepe.normalize import contains_phrase, normalize_term, word_count
from ckepe.terminology import GraphTerminology
from ckepe.textsafety import DISALLOWED_CHARS, disallowed_reason

MAX_PHRASE_WORDS = 16
MAX_DESCRIPTION_WORDS = 77
MAX_SENTENCE_WORDS = 3 * MAX_PHRASE_WORDS
"""A claim of several clauses (each at most MAX_PHRASE_WORDS) is judged clause by clause."""
CLAIM_KINDS = ("name", "synonym", "subtype", "feature")

CHAT_PATTERNS = [
    r"\bhere (?:is|are)\b",
    r"^\s*(?:sure|certainly|of course|okay|ok)\b",
    r"\blet me know\b",
    r"\bi hope\b",
    r"\bhope (?:this|that) helps\b",
    r"\bas an ai\b",
    r"\blanguage model\b",
    r"\bi(?:'m| am) (?:happy|glad|sorry|not able|unable)\b",
    r"\bi can(?:not|'t)\b",
    r"\bfeel free\b",
    r"\bplease\b",
    r"\bnote:",
    r"\bbelow (?:is|are)\b",
    r"\bthe following\b",
    r"\bin summary\b",
    r"\bi would\b",
    r"\bhappy to help\b",
    r"```",
    r"\*\*",
    r"^\s*#",
    r"\bassistant\b",
    r"\buser:",
    r"\bdisclaimer\b",
    r"\bconsult (?:a|your)\b",
]
_CHAT_RE = re.compile("|".join(CHAT_PATTERNS), re.IGNORECASE | re.MULTILINE)

_QUALIFIERS = ("presence of ", "evidence of ", "signs of ", "sign of ", "a ", "an ", "the ")


@dataclass(frozen=True)
class OtherLabel:
    """Another label of the same label set (for leakage checks)."""

    label: str
    name: str
    concept_ids: tuple[str, ...]


@dataclass
class Verdict:
    """The outcome of checking one phrase."""

    text: str
    kind: str
    ok: bool
    concept_id: str | None = None
    code: str | None = None
    reason: str = ""
    origin: str = "terminology"

    @classmethod
    def reject(
        cls,
        text: str,
        kind: str,
        code: str,
        reason: str,
        origin: str,
        concept_id: str | None = None,
    ) -> Verdict:
        return cls(text, kind, False, concept_id, code, reason, origin)


def chat_text(text: str) -> str | None:
    """The chat marker found in ``text`` or None."""
    m = _CHAT_RE.search(text)
    return m.group(0).strip() if m else None


def check_text_shape(text: str, max_words: int) -> tuple[str, str] | None:
    """(code, reason) for empty, over-long or chat text, else None."""
    if not text.strip():
        return "empty", "empty text"
    marker = chat_text(text)
    if marker:
        return "chat_text", f"chat text ({marker!r}) is not a clinical phrase"
    refused = disallowed_reason(text)  # on the raw text: nothing is stripped before judging
    if refused:
        return DISALLOWED_CHARS, refused
    marker = injection(text)
    if marker:
        return "injection", f"not clinical text: {marker!r} (an instruction, markup or script)"
    marker = placeholder(text)
    if marker:
        return "placeholder", f"a placeholder ({marker!r})"
    n = word_count(text)
    if n > max_words:
        return "too_long", f"{n} words, more than the cap of {max_words}"
    return None


@dataclass
class ClassVerifier:
    """Checks phrases claimed for one class against the terminology."""

    term: GraphTerminology
    label: str
    class_concepts: Sequence[str]
    names: Sequence[str] = ()
    others: Sequence[OtherLabel] = ()
    excluded: Sequence[str] = ()
    _desc: set[str] = field(default_factory=set, init=False)
    _feat: ClassFeatures = field(default_factory=ClassFeatures, init=False)
    _table: ContradictionTable = field(default_factory=ContradictionTable, init=False)
    _own_terms: list[str] = field(default_factory=list, init=False)
    _other_terms: list[tuple[str, OtherLabel]] = field(default_factory=list, init=False)
    _structure: ClassStructure | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        cc = [c for c in self.class_concepts if c in self.term]
        self._desc = below_class(self.term, cc, self.excluded)
        self._feat = class_features(
            self.term, cc, [k for o in self.others for k in o.concept_ids], self.excluded
        )
        self._table = contradiction_table(self.term)
        own = {normalize_term(self.label), *(normalize_term(n) for n in self.names)}
        for c in cc:
            own |= self._terms_of(c)
        self._own_terms = sorted((t for t in own if t), key=len, reverse=True)
        for o in self.others:
            terms = {normalize_term(o.name)} | {
                t for c in o.concept_ids for t in self._terms_of(c) if " " in t or len(t) >= 6
            }
            terms -= own  # a term shared with this class (same concept) is not leakage
            self._other_terms += [(t, o) for t in sorted(terms) if t]

    def _terms_of(self, cid: str) -> set[str]:
        c = self.term.get(cid)
        return {normalize_term(t) for t in ((c.fsn, *c.synonyms) if c else ())}

    def ground(self, text: str) -> list[str]:
        """Concept ids the phrase names (exact/synonym/normalised, then minus qualifiers)."""
        hits = self.term.find(text)
        if hits:
            return hits
        norm = normalize_term(text)
        for q in _QUALIFIERS:
            if norm.startswith(q):
                return self.term.find(norm[len(q) :])
        return []

    def relations(self, cid: str) -> list[str]:
        """How a concept relates to the class, strongest first: name, subtype, feature."""
        rels = []
        if cid in self.class_concepts:
            rels.append("name")
        if cid in self._desc:
            rels.append("subtype")
        if cid in self._feat:
            rels.append("feature")
        return rels

    def leaked_label(self, text: str, grounded: Iterable[str]) -> OtherLabel | None:
        """The other label this phrase names, per the rule in the module docstring."""
        grounded = list(grounded)
        if any(self.relations(c) for c in grounded):
            return None
        for o in self.others:
            if set(grounded) & set(o.concept_ids):
                return o
        norm = f" {normalize_term(text)} "
        for t in self._own_terms:
            norm = norm.replace(f" {t} ", " | ")
        for t, o in self._other_terms:
            if contains_phrase(norm, t):
                return o
        return None

    def check(self, text: str, kind: str, origin: str = "terminology") -> Verdict:
        """Check one phrase of a claimed kind (``any`` infers the kind from the relation)."""
        shape = check_text_shape(text, MAX_PHRASE_WORDS)
        text = " ".join(text.split())
        if shape:
            return Verdict.reject(text, kind, *shape, origin)
        if kind not in (*CLAIM_KINDS, "any"):
            return Verdict.reject(text, kind, "bad_kind", f"unknown claim kind {kind!r}", origin)
        hits = self.ground(text)
        leak = self.leaked_label(text, hits)
        if leak:
            return Verdict.reject(
                text,
                kind,
                "other_label",
                f"names another label of this set: {leak.label} ({leak.name})",
                origin,
                hits[0] if hits else None,
            )
        is_own_name = normalize_term(text) in {normalize_term(n) for n in (self.label, *self.names)}
        if not hits and not (kind in ("name", "synonym", "any") and is_own_name):
            return Verdict.reject(
                text, kind, "unknown_term", "matches no term of the terminology", origin
            )
        rels = {c: self.relations(c) for c in hits}
        if not hits:  # the dataset's own display name of the class
            return Verdict(
                text,
                "name" if kind == "any" else kind,
                True,
                next(iter(self.class_concepts), None),
                None,
                "",
                origin,
            )
        want = {"name": "name", "synonym": "name", "subtype": "subtype", "feature": "feature"}
        for cid, rel in rels.items():
            if rel and (kind == "any" or want[kind] in rel):
                bad = self._fields(text, cid)
                if bad:
                    return Verdict.reject(text, kind, *bad, origin, cid)
                return Verdict(text, rel[0] if kind == "any" else kind, True, cid, None, "", origin)
        cid = hits[0]
        cname = self.term.name(cid)
        if kind == "any":
            return Verdict.reject(
                text,
                kind,
                "unrelated_concept",
                f"grounds to {cid} ({cname}), neither the class, a subtype nor a linked feature",
                origin,
                cid,
            )
        code, why = {
            "name": ("wrong_concept", "is not the class concept"),
            "synonym": ("wrong_concept", "is not the class concept"),
            "subtype": ("not_descendant", "is not an is-a descendant of the class concept"),
            "feature": (
                "not_linked_feature",
                "is not a feature of the class (linked to it or "
                "a descendant and not characteristic of a competing label)",
            ),
        }[kind]
        return Verdict.reject(text, kind, code, f"{cid} ({cname}) {why}", origin, cid)

    def _fields(self, text: str, cid: str) -> tuple[str, str] | None:
        """The audit's field rule (negation, leads, direction) on a grounded phrase."""
        if self._structure is None:
            cc = [c for c in self.class_concepts if c in self.term]
            self._structure = ClassStructure(self.term, cc, self._feat, (*self.names, self.label))
        c = self.term.get(cid)
        negative = bool(c) and any(
            "absent" in canonical_words(t) for t in ((c.fsn, *c.synonyms) if c else ())
        )
        return field_check(self._structure, parse_clause(text), cid, negative)

    def check_all(
        self, claims: Iterable[tuple[str, str, str]]
    ) -> tuple[list[Verdict], list[Verdict]]:
        """Check (text, kind, origin) claims in order, adding duplicate/contradiction rules."""
        accepted: list[Verdict] = []
        rejected: list[Verdict] = []
        seen_text: dict[str, str] = {}
        seen_concept: set[str | None] = set()
        for text, kind, origin in claims:
            v = self.check(text, kind, origin)
            if v.ok:
                v = self._check_against(v, accepted, seen_text, seen_concept)
            if v.ok:
                accepted.append(v)
                seen_text[normalize_term(v.text)] = v.text
                if v.kind in ("subtype", "feature"):
                    seen_concept.add(v.concept_id)
            else:
                rejected.append(v)
        return accepted, rejected

    def _check_against(
        self,
        v: Verdict,
        accepted: list[Verdict],
        seen_text: dict[str, str],
        seen_concept: set[str | None],
    ) -> Verdict:
        norm = normalize_term(v.text)
        if norm in seen_text:
            return Verdict.reject(
                v.text, v.kind, "duplicate", f"repeats {seen_text[norm]!r}", v.origin, v.concept_id
            )
        if v.kind in ("subtype", "feature") and v.concept_id in seen_concept:
            return Verdict.reject(
                v.text,
                v.kind,
                "duplicate",
                f"concept {v.concept_id} already given",
                v.origin,
                v.concept_id,
            )
        # subtypes are alternatives ("sinus bradycardia", "sinus tachycardia"), not joint
        # statements, so only the other kinds can contradict each other
        # a group label's members (LAFB/LPFB) and features reached through different subtypes
        # are alternatives too: only the class's own criteria must agree with each other
        own = self._feat.own
        for prev in (a for a in accepted if a.kind != "subtype" and v.kind != "subtype"):
            if len(self.class_concepts) != 1 or (
                prev.concept_id not in own and v.concept_id not in own
            ):
                continue
            clash = self._table.excludes(prev.concept_id, v.concept_id)
            if clash:
                return Verdict.reject(
                    v.text,
                    v.kind,
                    "contradiction",
                    f"contradicts {prev.text!r} ({clash.topic}, {clash.source})",
                    v.origin,
                    v.concept_id,
                )
        return v


def parse_description(text: str) -> list[tuple[str, str]]:
    """Split a MERL-style description into (phrase, kind) pairs.

    Sections are separated by ``;``; a section may start with ``subtypes:``, ``ecg
    features:`` or ``synonyms:``; phrases within a section by ``,``. In the first section the
    first phrase is the name and the rest synonyms; phrases outside a labelled section get
    kind ``any`` (their relation is inferred). A leading ``name:`` (upstream style) is split.
    """
    out: list[tuple[str, str]] = []
    text = " ".join(text.replace("\n", " ; ").split()).strip().rstrip(".")
    for i, section in enumerate(s for s in re.split(r";|\.\s", text) if s.strip()):
        labelled = section_head(section)
        kind = "any"
        if labelled:
            kind, section = labelled
        elif i == 0 and ":" in section:
            head, section = section.split(":", 1)
            out.append((head.strip(), "name"))
        parts = [p.strip(" .") for p in section.split(",")]
        for j, part in enumerate(p for p in parts if p):
            k = kind
            if kind == "any" and i == 0 and not out:
                k = "name" if j == 0 else "any"
            out.append((part, k))
    return out
