"""The audit's reading of a phrase as findings (``ckepe.findings``): clauses, negation,
leads, direction, competitors, placeholders and injected text; mixed into
``ckepe.audit.judge.ClassAuditor``, whose string verdict (``_judge_string``) it refines."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

from ckepe.findings import (
    ABSENT,
    ParsedFinding,
    injection,
    parse_clause,
    placeholder,
    split_clauses,
)
from ckepe.findings.fuzzy import Speller
from ckepe.findings.structure import (
    AGREE,
    WRONG_DIRECTION,
    WRONG_LEADS,
    ClassStructure,
    field_check,
)
from ckepe.grounding import Grounder, canonical_words
from ckepe.normalize import normalize_term, word_count
from ckepe.terminology import GraphTerminology
from ckepe.textsafety import DISALLOWED_CHARS, disallowed_reason
from ckepe.verify import MAX_PHRASE_WORDS, MAX_SENTENCE_WORDS, OtherLabel, chat_text

VERIFIED, UNVERIFIABLE, CONTRADICTED, STRUCTURAL = (
    "verified",
    "unverifiable",
    "contradicted",
    "structural",
)
SEVERITY = {STRUCTURAL: 0, CONTRADICTED: 1, UNVERIFIABLE: 2, VERIFIED: 3}
_CUT_CODES = frozenset({"unrelated_concept", "not_characteristic", "other_label"})


@dataclass
class Finding:
    """One phrase verdict or structural finding (JSON: ``as_dict``)."""

    dataset: str
    label: str
    phrase: str
    verdict: str
    code: str = ""
    concept_id: str | None = None
    concept: str = ""
    reason: str = ""
    kind: str = ""
    where: str = "description"
    task: str = ""
    grounding: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Knowledge(Protocol):
    """What the structured judge reads of ``ckepe.audit.judge.Knowledge`` (kept a protocol so
    this module does not import the audit that mixes it in)."""

    term: GraphTerminology
    grounder: Grounder
    speller: Speller


class StructuredJudge:
    """Judges a phrase by its findings (see ``ckepe.audit.judge`` for the codes)."""

    kb: Knowledge
    structure: ClassStructure
    cids: list[str]
    own_names: set[str]
    other_of: dict[str, OtherLabel]

    def _finding(
        self,
        text: str,
        kind: str,
        verdict: str,
        code: str = "",
        cid: str | None = None,
        reason: str = "",
        how: str = "",
    ) -> Finding:
        raise NotImplementedError

    def _judge_string(self, text: str, kind: str) -> Finding:
        raise NotImplementedError

    def judge(self, text: str, kind: str = "any") -> Finding:
        """The verdict on one phrase claimed with ``kind`` (``any``: relation inferred).

        The phrase is read as findings (``ckepe.findings``): a sentence is judged by all its
        clauses (contradicted if any is, else unverifiable if any is, else verified)."""
        raw, text = text, " ".join(text.split())
        if not text:
            return self._finding(text, kind, CONTRADICTED, "empty", reason="empty phrase")
        marker = chat_text(text)
        if marker:
            return self._finding(
                text,
                kind,
                CONTRADICTED,
                "chat_text",
                reason=f"chat text ({marker!r}) is not a clinical phrase",
            )
        refused = disallowed_reason(raw)  # the raw text: nothing stripped before judging
        if refused:
            return self._finding(raw, kind, CONTRADICTED, DISALLOWED_CHARS, reason=refused)
        marker = injection(text)
        if marker:
            return self._finding(
                text,
                kind,
                CONTRADICTED,
                "injection",
                reason=f"not clinical text: {marker!r} (an instruction, markup or foreign script)",
            )
        marker = placeholder(text)
        if marker:
            return self._finding(
                text, kind, CONTRADICTED, "placeholder", reason=f"a placeholder ({marker!r})"
            )
        if word_count(text) > MAX_SENTENCE_WORDS:
            return self._finding(
                text,
                kind,
                UNVERIFIABLE,
                "too_long",
                reason=f"more than {MAX_SENTENCE_WORDS} words: free text, not one claim",
            )
        fixed, changes = self.kb.speller.correct(text)
        f = self._judge_text(fixed, kind)
        if changes:
            f.phrase = text
            note = ", ".join(f"{a}->{b}" for a, b in changes)
            f.grounding = f"{f.grounding}; spelling {note}".strip("; ")
        return f

    def _judge_text(self, text: str, kind: str) -> Finding:
        """A phrase the terminology names whole is one finding; otherwise each clause."""
        if normalize_term(text) in self.own_names and kind in ("name", "synonym", "any"):
            return self._finding(
                text,
                kind,
                VERIFIED,
                "name",
                self.cids[0] if self.cids else None,
                "the label set's name of the class",
                "label set",
            )
        clauses = split_clauses(text) or [text]
        whole = self._judge_string(text, kind) if word_count(text) <= MAX_PHRASE_WORDS else None
        if whole is not None and (
            len(clauses) == 1 or whole.grounding in ("exact", "words", "qualified")
        ):
            return self._judge_clause(text, kind, whole)
        parts = [self._judge_clause(c, kind) for c in clauses]
        parts = [self._generic(p) for p in self._rejoin(clauses, parts, kind)]
        if len(parts) == 1:
            return parts[0]
        worst = min(parts, key=lambda p: SEVERITY[p.verdict])
        if worst.verdict == VERIFIED:
            reason = "every clause verified: " + "; ".join(p.phrase for p in parts)
        else:
            reason = f"clause {worst.phrase!r}: {worst.reason}"
        return self._finding(
            text, kind, worst.verdict, worst.code, worst.concept_id, reason, worst.grounding
        )

    def _generic(self, f: Finding) -> Finding:
        """A clause of a sentence that fails only its concept's relation while speaking of
        what the class's criteria speak of, with nothing opposed ("an abnormal P wave" of a
        premature atrial complex): cannot tell, not wrong."""
        if f.verdict != CONTRADICTED or f.code != "unrelated_concept":
            return f
        pf = parse_clause(f.phrase)
        if not pf.attributes or pf.leads or self.structure.competitor(pf) is not None:
            return f
        ours = {a for k in self.structure.own for p in k.parts for a in p.attributes}
        if not pf.attributes <= ours or self.structure.compare(pf)[0] != "none":
            return f
        return self._finding(
            f.phrase, f.kind, UNVERIFIABLE, "generic", f.concept_id, f.reason, f.grounding
        )

    def _rejoin(self, clauses: list[str], parts: list[Finding], kind: str) -> list[Finding]:
        """A clause wrong only because it was cut from its neighbour ("ST depression" of
        "ST depression and T inversion in V5 and V6"): judged joined, kept when the joint
        clause is verified by its words (never by similarity alone)."""
        out: list[Finding] = []
        i = 0
        while i < len(parts):
            if (
                parts[i].verdict == CONTRADICTED
                and parts[i].code in _CUT_CODES
                and i + 1 < len(parts)
            ):
                joint = self._judge_clause(f"{clauses[i]} and {clauses[i + 1]}", kind)
                if joint.verdict == VERIFIED and not joint.grounding.startswith("similarity"):
                    out.append(joint)
                    i += 2
                    continue
            out.append(parts[i])
            i += 1
        return out

    def _judge_clause(self, text: str, kind: str, whole: Finding | None = None) -> Finding:
        """One clause: the string verdict on its words, then its fields (polarity, leads,
        direction, competitor) against the class's criteria."""
        if word_count(text) > MAX_PHRASE_WORDS:
            return self._finding(
                text,
                kind,
                UNVERIFIABLE,
                "too_long",
                reason=f"more than {MAX_PHRASE_WORDS} words: free text, not one claim",
            )
        pf = parse_clause(text)
        f = whole if whole is not None else self._judge_string(text, kind)
        if pf.polarity == ABSENT and not self._negative_concept(f.concept_id):
            if self.structure.compare(pf)[0] != "none":  # a criterion stated as an absence
                return self._fields(pf, f, kind)  # ("absent q waves in I, V5 and V6")
            return self._negated(pf, kind)
        return self._fields(pf, f, kind)

    def _negative_concept(self, cid: str | None) -> bool:
        """The concept's own term carries a negation ("absent P waves", "without P wave")."""
        return bool(cid) and "absent" in self.kb.grounder.vocabulary(cid or "")

    def _negated(self, pf: ParsedFinding, kind: str) -> Finding:
        """A negated clause: the verdict on what it denies, turned round."""
        text = pf.text
        if not pf.core.strip():
            return self._finding(text, kind, UNVERIFIABLE, "unknown_term", reason="denies nothing")
        g = self._fields(parse_clause(pf.core), self._judge_string(pf.core, kind), kind)
        status, known = self.structure.compare(parse_clause(pf.core))
        if g.verdict == VERIFIED and g.grounding.startswith("similarity") and status != AGREE:
            # an encoder's neighbour may itself be a negation ("independent of each other"
            # for "no relationship between"): similarity never decides a verdict alone
            g = self._finding(pf.core, kind, UNVERIFIABLE, "unknown_term", None, "", g.grounding)
        if g.verdict != VERIFIED and status == AGREE and known is not None:
            g = self._finding(pf.core, kind, VERIFIED, "feature", known.concept_id, "", "structure")
        if g.verdict == VERIFIED:
            return self._finding(
                text,
                kind,
                CONTRADICTED,
                "negated",
                g.concept_id,
                f"denies {g.concept or pf.core!r}, a {g.code or 'finding'} of the class",
                g.grounding,
            )
        core = parse_clause(pf.core)
        abnormal = core.attributes and (
            any(v not in ("normal", "upright", "regular") for _, v in core.directions)
            or re.search(r"\b(?:change|changes|abnormal\w*|pathologic\w*)\b", pf.core, re.I)
        )
        if self.structure.normal and g.verdict == UNVERIFIABLE and abnormal:
            return self._finding(
                text,
                kind,
                VERIFIED,
                "absent_finding",
                None,
                f"a normal ECG lacks an abnormal finding ({pf.core!r})",
                "structure",
            )
        if g.verdict == CONTRADICTED and g.code not in ("placeholder", "injection", "chat_text"):
            if self.structure.normal:
                return self._finding(
                    text,
                    kind,
                    VERIFIED,
                    "absent_finding",
                    g.concept_id,
                    f"a normal ECG lacks {g.concept or pf.core!r}",
                    g.grounding,
                )
            if g.code == "excludes_class_feature":
                return self._finding(
                    text,
                    kind,
                    VERIFIED,
                    "absent_finding",
                    g.concept_id,
                    f"denies {g.concept!r}, which excludes a criterion of the class",
                    g.grounding,
                )
        return self._finding(
            text,
            kind,
            UNVERIFIABLE,
            "negated_other",
            g.concept_id,
            f"denies {pf.core!r}, which the knowledge base does not state for the class",
            g.grounding,
        )

    def _fields(self, pf: ParsedFinding, f: Finding, kind: str) -> Finding:
        """Check leads, direction and competitors beyond the string verdict ``f``."""
        text = pf.text
        if f.verdict == CONTRADICTED and not (
            f.code in ("not_characteristic", "unrelated_concept")
            and f.grounding != "exact"
            and self.structure.compare(pf)[0] == AGREE
        ):  # a less specific wording of a class criterion is not "another concept"
            return f
        if f.verdict == VERIFIED:
            if f.code in ("feature", "broader", "name", "subtype"):
                bad = field_check(
                    self.structure,
                    replace(pf, polarity="present"),
                    f.concept_id,
                    True,
                )
                if bad:
                    return self._finding(
                        text, kind, CONTRADICTED, bad[0], f.concept_id, bad[1], f.grounding
                    )
            if f.grounding in ("exact", "words", "qualified", "label set"):
                return f
        status, known = self.structure.compare(pf)
        if status in (WRONG_DIRECTION, WRONG_LEADS):
            name = self.kb.term.name(known.concept_id) if known else ""
            return self._finding(
                text,
                kind,
                CONTRADICTED,
                status,
                known.concept_id if known else None,
                f"the class's criterion on this is {name!r}",
                "structure",
            )
        if self.structure.outside_territory(pf):
            return self._finding(
                text,
                kind,
                CONTRADICTED,
                WRONG_LEADS,
                None,
                f"leads {', '.join(sorted(pf.leads))} lie outside the class's territory",
                "structure",
            )
        rival = self.structure.competitor(pf)
        if rival is not None:
            who = self.other_of.get(rival.owner)
            return self._finding(
                text,
                kind,
                CONTRADICTED,
                "competitor",
                rival.concept_id,
                f"states {self.kb.term.name(rival.concept_id)!r}, a criterion of the competing "
                f"label {who.label if who else self.kb.term.name(rival.owner)}, not of this class",
                "structure",
            )
        if f.verdict == VERIFIED:
            return f
        if (
            status == AGREE
            and known is not None
            and kind in ("feature", "any")
            and self.structure.supports_all(pf)
        ):
            left = [
                w
                for w in pf.residue
                if not canonical_words(w) <= self.kb.grounder.vocabulary(known.concept_id)
            ]
            if not left:
                return self._finding(
                    text,
                    kind,
                    VERIFIED,
                    "feature",
                    known.concept_id,
                    f"agrees with the class's criterion {self.kb.term.name(known.concept_id)!r}",
                    "structure",
                )
        if f.verdict == CONTRADICTED:  # a wording of a class criterion with words around it
            return self._finding(
                text,
                kind,
                UNVERIFIABLE,
                "unknown_term",
                known.concept_id if known else None,
                f"speaks of the class's criterion "
                f"{self.kb.term.name(known.concept_id) if known else ''!r} in words the "
                "terminology does not ground",
                f.grounding,
            )
        return f
