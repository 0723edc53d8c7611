"""The hallucination audit: a verdict for every phrase of a prompt, and structural findings.

Each phrase is ``verified`` (grounded to a concept whose relation to the class holds),
``unverifiable`` (the terminology cannot ground it) or ``contradicted`` (grounded, and
wrong). Codes of ``contradicted``:

- ``other_label``: names another label of the same task (``leaked_label`` of ckepe.verify);
- ``competitor_feature``: a feature the feature rule gives to a competing label;
- ``excludes_class_feature``: a feature that excludes one of the class's own
  (knowledge/contradictions.tsv), e.g. "heart rate above 100 per minute" for bradycardia;
- ``numeric_mismatch``: a numeric criterion on a quantity the class has a criterion for,
  with another comparator or value ("PR interval over 300 ms" for first degree AV block);
- ``not_characteristic`` / ``not_descendant`` / ``wrong_concept`` / ``unrelated_concept``:
  a feature the class does not have, a subtype that is not an is-a descendant, a name or
  synonym of another concept, a condition that is none of these;
- ``invented_name``: a known condition's name with made-up qualifiers ("type 7 atrial
  fibrillation") that names no concept; qualifiers clinicians do use ("persistent atrial
  fibrillation") give ``unverifiable`` instead, since an extract may lack the subtype;
- ``contradiction``: two phrases of one prompt whose concepts exclude each other;
- ``duplicate``, ``chat_text``, ``empty``;
- ``disallowed_chars``: a character outside the clinical-text allowlist (ckepe.textsafety:
  another script, a control or bidi character, markup), judged on the raw text.
- read as findings (``ckepe.findings``): ``negated`` (denies the class's own finding: "PR
  interval not prolonged" for first degree AV block), ``wrong_leads`` (the class's criterion
  in other leads, or leads outside a regional class's territory), ``wrong_direction``
  (elevation for depression, low for high voltage, late for premature, ...), ``competitor``
  (agrees with a competing label's criterion and with none of the class's, even where the
  class has no row for it), ``placeholder`` ("N/A", "TBD", "..."), ``injection`` (an
  instruction, markup, a control character or a foreign script).

A phrase is split into clauses and each is one finding; the phrase is contradicted if any
clause is, else unverifiable if any is, else verified. A negated clause whose cue is not
part of its concept's own term ("absent P waves" is) is judged by what it denies: the
class's own finding → ``negated``; a finding a normal class lacks, or one excluding a class
criterion → verified (``absent_finding``); anything else → unverifiable (``negated_other``).
Misspelt words get a rapidfuzz proposal from the terminology's words and the corrected
phrase is judged like any other; the encoder's candidates never decide a verdict alone.

Structural findings (``verdict`` = ``structural``): ``concept_mismatch`` (the file's
concept ids or name differ from the label set's), ``phrase_mismatch`` (a recorded phrase
concept id or kind differs from the re-derived one), ``stale_version``, ``missing_class``,
``empty_file``, ``unknown_label``, ``too_long``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ckepe.audit.structure import (
    CONTRADICTED,
    STRUCTURAL,
    UNVERIFIABLE,
    VERIFIED,
    Finding,
    StructuredJudge,
)
from ckepe.criteria import DOWN, EQ, RANGE, UP, Criterion
from ckepe.feature_rule import below_class, class_features, contradiction_table
from ckepe.findings.fuzzy import Speller
from ckepe.findings.lexicon import DIRECTION_WORDS
from ckepe.findings.pieces import split_pieces
from ckepe.findings.structure import (
    ClassStructure,
)
from ckepe.grounding import Grounder, Grounding, canonical_words, polarity_clash
from ckepe.labelsets import LabelEntry
from ckepe.normalize import normalize_term, word_count
from ckepe.terminology import GraphTerminology
from ckepe.textsafety import DISALLOWED_CHARS, disallowed_chars, disallowed_reason
from ckepe.verify import (
    MAX_DESCRIPTION_WORDS,
    ClassVerifier,
    OtherLabel,
    chat_text,
)

SIMILARITY_THRESHOLD = 0.75
"""Cosine similarity (all-MiniLM-L6-v2, mean-pooled, normalised) a candidate must reach."""
# Qualifiers clinicians put on a condition's name that an extract may not list as subtypes.
KNOWN_QUALIFIERS = frozenset(
    """acute chronic paroxysmal persistent permanent recurrent
intermittent transient lone new onset longstanding long standing valvular nonvalvular
non typical atypical isolated frequent occasional multifocal unifocal monomorphic
polymorphic sustained nonsustained non-sustained complete incomplete partial advanced high
degree grade mild moderate severe marked minor possible probable borderline old recent
evolving resolving rate related coarse fine slow fast rapid controlled uncontrolled
asymptomatic symptomatic""".split()
)


@dataclass(frozen=True)
class ClassSpec:
    """One class as the label set defines it (never as the audited file claims)."""

    dataset: str
    tasks: tuple[str, ...]
    label: str
    name: str
    concept_ids: tuple[str, ...]
    others: tuple[OtherLabel, ...] = ()
    excluded_ids: tuple[str, ...] = ()


def class_specs(dataset: str, rows: Sequence[LabelEntry]) -> list[ClassSpec]:
    """One ClassSpec per (label, concepts) of the rows, with its task's other labels."""
    specs: dict[tuple[str, tuple[str, ...]], ClassSpec] = {}
    for r in rows:
        key = (r.label, r.concept_ids)
        tasks = (*specs[key].tasks, r.task) if key in specs else (r.task,)
        others = {o.label: o for o in (specs[key].others if key in specs else ())}
        for o in rows:
            if o.task == r.task and o.label != r.label and o.concept_ids != r.concept_ids:
                others.setdefault(o.label, OtherLabel(o.label, o.name, o.concept_ids))
        specs[key] = ClassSpec(
            dataset, tasks, r.label, r.name, r.concept_ids, tuple(others.values()), r.excluded_ids
        )
    return list(specs.values())


@dataclass
class Knowledge:
    """What an audit run grounds against: terminology, grounder, contradiction table."""

    term: GraphTerminology
    grounder: Grounder = field(init=False)

    def __post_init__(self) -> None:
        self.grounder = Grounder(self.term)
        self.table = contradiction_table(self.term)
        self.feature_ids = self.term.feature_concepts()
        words: set[str] = set()
        for cid in self.term.concept_ids():
            words |= set(
                normalize_term(" ".join([self.term.fsn(cid), *self.term.synonyms(cid)])).split()
            )
        for cid in self.term.concept_ids():
            for f in self.term.features(cid, include_descendants=False):
                words |= set(normalize_term(f.criterion).split())
        self.speller = Speller(words)

    def use_similarity(self, model: object) -> None:
        self.grounder.similarity = model


def _edge_of(claim: Criterion, crit: Criterion) -> bool:
    """A threshold at an edge of the class's range ("above 150 /min" of "150-250 /min")."""
    if crit.op != RANGE:
        return False
    lo, hi = crit.bounds()
    return (claim.op == UP and abs(claim.value - lo) < 1e-6) or (
        claim.op == DOWN and abs(claim.value - hi) < 1e-6
    )


class ClassAuditor(StructuredJudge):
    """Judges phrases claimed for one class."""

    kb: Knowledge  # the whole knowledge (the mixin reads a protocol of it)

    def __init__(self, kb: Knowledge, spec: ClassSpec) -> None:
        self.kb, self.spec, term = kb, spec, kb.term
        self.cids = [c for c in spec.concept_ids if c in term]
        others = [k for o in spec.others for k in o.concept_ids]
        self.feat = class_features(term, self.cids, others, spec.excluded_ids)
        self.desc = below_class(term, self.cids, spec.excluded_ids)
        self.cut = below_class(term, self.cids) - self.desc  # is-a below, excluded by the set
        self.anc: set[str] = set()
        for c in self.cids:
            self.anc |= term.ancestors(c)
        self.verifier = ClassVerifier(
            term, spec.label, self.cids, (spec.name,), spec.others, spec.excluded_ids
        )
        self.crit = [(fid, c) for fid in self.feat.allowed for c in kb.grounder.criteria_of(fid)]
        self.other_of = {k: o for o in spec.others for k in o.concept_ids}
        self.structure = ClassStructure(term, self.cids, self.feat, (spec.name,))
        self._memo: dict[tuple[str, str], Finding] = {}
        self.own_names = {
            normalize_term(spec.name),
            normalize_term(spec.label),
            normalize_term(re.sub(r"\([^()]*\)", " ", spec.name)),
        }

    # -- relations ---------------------------------------------------------------------
    def relations(self, cid: str) -> list[str]:
        """How a concept relates to the class: name, subtype, feature, broader."""
        rels = []
        if cid in self.cids:
            rels.append("name")
        if cid in self.desc:
            rels.append("subtype")
        if cid in self.feat or self._feature_by_definition(cid):
            rels.append("feature")
        if cid in self.anc and cid not in self.other_of:
            rels.append("broader")
        return rels

    def _feature_by_definition(self, cid: str) -> bool:
        """A finding named by its own concept ("right axis deviation", "short PR interval")
        states a feature of the class when one of its own features.tsv links is the class's
        and none excludes one; not when it is another label of the task (leakage)."""
        if cid in self.other_of or cid in self.cids:
            return False
        own = [f.concept_id for f in self.kb.term.features(cid, include_descendants=False)]
        if not any(f in self.feat for f in own):
            return False
        return not any(self.kb.table.excludes(f, a) for f in own for a in self.feat.own)

    @staticmethod
    def _fits(kind: str, rels: list[str]) -> str | None:
        want = {
            "name": ("name",),
            "synonym": ("name",),
            "subtype": ("subtype",),
            "feature": ("feature",),
            "any": ("name", "subtype", "feature", "broader"),
        }
        return next((r for r in rels if r in want.get(kind, ())), None)

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
        return Finding(
            self.spec.dataset,
            self.spec.label,
            text,
            verdict,
            code,
            cid,
            self.kb.term.name(cid) if cid else "",
            reason,
            kind,
            task="+".join(self.spec.tasks),
            grounding=how,
        )

    # -- one phrase --------------------------------------------------------------------
    def _judge_string(self, text: str, kind: str) -> Finding:
        """The verdict on a phrase's words (exact, canonical words, numbers, similarity);
        memoised per auditor (a sentence's clauses, cores and joints repeat)."""
        key = (text, kind)
        if key not in self._memo:
            self._memo[key] = self._judge_words(text, kind)
        return replace(self._memo[key])

    def _judge_words(self, text: str, kind: str) -> Finding:
        g = self.kb.grounder.ground(text)
        numeric = self._numeric(text, kind, g)
        if numeric is not None and numeric.verdict == CONTRADICTED:
            return numeric
        cands = [c for c in g.concept_ids if not self._numbers_disagree(g.criteria, c)]
        for cid in cands:
            rel = self._fits(kind, self.relations(cid))
            if rel:
                return self._finding(text, kind, VERIFIED, rel, cid, f"{rel} of the class", g.how)
        if numeric is not None:
            return numeric
        if cands and g.how != "partial":  # a less specific phrase is no evidence of error
            return self._wrong(text, kind, cands[0], g.how)
        leak = self.verifier.leaked_label(text, [])
        if leak:
            return self._other_label(text, kind, leak.concept_ids[0], leak, "words")
        if g.head and g.head not in self.kb.feature_ids and kind != "feature":
            return self._unknown_name(text, kind, g)
        return self._by_similarity(text, kind, g)

    def _numbers_disagree(self, crit: list[Criterion], cid: str) -> bool:
        mine = self.kb.grounder.criteria_of(cid)
        return any(c.quantity == m.quantity and not c.agrees(m) for c in crit for m in mine)

    def _numeric(self, text: str, kind: str, g: Grounding) -> Finding | None:
        """Compare each parsed criterion with the class's criteria on the same quantity."""
        for c in g.criteria:
            same = [(fid, cc) for fid, cc in self.crit if cc.quantity == c.quantity]
            if not same:
                continue
            lo, hi = c.bounds()
            # a threshold must be the class's threshold; a value or a range must lie within it
            agree = [
                fid
                for fid, cc in same
                if cc.agrees(c)
                or (c.op in (EQ, RANGE) and cc.bounds()[0] <= lo and hi <= cc.bounds()[1])
                or _edge_of(c, cc)
            ]
            if not agree and any(
                cc.agrees(c)
                for fid in self.feat.excluded
                for cc in self.kb.grounder.criteria_of(fid)
            ):
                return None  # a competitor's criterion: the relation check says so
            if not agree:
                fid, cc = same[0]
                return self._finding(
                    text,
                    kind,
                    CONTRADICTED,
                    "numeric_mismatch",
                    fid,
                    f"says {c}; the class's criterion is {cc}",
                    "criterion",
                )
            if kind in ("feature", "any"):
                return self._finding(
                    text,
                    kind,
                    VERIFIED,
                    "feature",
                    agree[0],
                    "numeric criterion of the class",
                    "criterion",
                )
        return None

    def _other_label(self, text: str, kind: str, cid: str, other: OtherLabel, how: str) -> Finding:
        """``other_label``: the phrase names ``other``, another label of this task."""
        return self._finding(
            text,
            kind,
            CONTRADICTED,
            "other_label",
            cid,
            f"names another label of this task: {other.label} ({other.name})",
            how,
        )

    def _competitor(
        self, text: str, kind: str, cid: str, rival: str, how: str, as_: str
    ) -> Finding:
        """``competitor_feature``: ``cid`` characterises (or is a criterion of) a competing
        label's concept ``rival`` and not this class."""
        who = self.other_of.get(rival)
        label = f"{who.label if who else rival} ({self.kb.term.name(rival)})"
        reason = (
            f"characterises the competing label {label}, not this class"
            if as_ == "characterises"
            else f"a criterion of the competing label {label}, not of this class"
        )
        return self._finding(text, kind, CONTRADICTED, "competitor_feature", cid, reason, how)

    def _wrong(self, text: str, kind: str, cid: str, how: str) -> Finding:
        """A grounded phrase whose relation to the class fails: say why."""
        name = self.kb.term.name(cid)
        other = self.other_of.get(cid)
        if other:
            return self._other_label(text, kind, cid, other, how)
        if cid in self.feat.excluded:
            return self._competitor(text, kind, cid, self.feat.excluded[cid], how, "characterises")
        if self._defines_rival(cid):
            return self._competitor(text, kind, cid, self.feat.rivals[cid], how, "criterion")
        for fid in self.feat.own:  # a group's subtypes may exclude each other; its own may not
            ex = self.kb.table.excludes(cid, fid)
            if ex:
                return self._finding(
                    text,
                    kind,
                    CONTRADICTED,
                    "excludes_class_feature",
                    cid,
                    f"excludes the class's feature "
                    f"{self.kb.term.name(fid)!r} ({ex.topic}, {ex.source})",
                    how,
                )
        other = None if cid in self.kb.feature_ids else self.verifier.leaked_label(text, [cid])
        if other:
            return self._other_label(text, kind, cid, other, how)
        if kind == "subtype":
            why = (
                f"{name!r} is below the class concept, but the label set excludes it: the "
                "dataset does not file it under this label"
                if cid in self.cut
                else f"{name!r} is not an is-a descendant of the class"
            )
            return self._finding(text, kind, CONTRADICTED, "not_descendant", cid, why, how)
        if kind in ("name", "synonym"):
            return self._finding(
                text,
                kind,
                CONTRADICTED,
                "wrong_concept",
                cid,
                f"{name!r} is not the class concept",
                how,
            )
        if cid in self.kb.feature_ids:
            return self._finding(
                text,
                kind,
                CONTRADICTED,
                "not_characteristic",
                cid,
                f"{name!r} is not a feature of the class or its subtypes",
                how,
            )
        return self._finding(
            text,
            kind,
            CONTRADICTED,
            "unrelated_concept",
            cid,
            f"{name!r} is neither the class, a subtype, a broader concept nor a feature",
            how,
        )

    def _defines_rival(self, cid: str) -> bool:
        """A feature the class lacks that is a competing label's defining criterion."""
        if cid not in self.feat.rivals or cid in self.feat.allowed:
            return False
        rival = self.feat.rivals[cid]
        marked = bool(getattr(self.kb.term, "has_defining", False))
        return any(
            f.concept_id == cid and (f.defining or not marked)
            for f in self.kb.term.features(rival, include_descendants=True)
        )

    def _unknown_name(self, text: str, kind: str, g: Grounding) -> Finding:
        head = g.head or ""
        hname = self.kb.term.name(head)
        if set(g.extra) <= KNOWN_QUALIFIERS | DIRECTION_WORDS.keys() | {"abnormal"}:
            return self._finding(
                text,
                kind,
                UNVERIFIABLE,
                "unknown_subtype",
                head,
                f"a kind of {hname!r} the terminology does not list",
                "head",
            )
        return self._finding(
            text,
            kind,
            CONTRADICTED,
            "invented_name",
            head,
            f"names no concept: no {hname!r} called "
            f"{' '.join(g.extra)!r} exists in the terminology",
            "head",
        )

    def _by_similarity(self, text: str, kind: str, g: Grounding) -> Finding:
        """Encoder-ranked related concepts; each must still pass polarity, numbers and the
        relation (the candidates are the concepts that could: class, subtypes, features)."""
        bag = canonical_words(text)
        pool = [*self.cids, *sorted(self.desc), *self.feat.allowed]
        if kind == "any":
            pool += [a for a in sorted(self.anc) if a not in self.other_of]
        # a paraphrase shares a specific content word with its concept; this keeps the
        # encoder's work to a handful of terms per phrase
        pool = self.kb.grounder.closest_by_words(bag, pool)
        for cid, score in self.kb.grounder.similar(text, pool):
            if score < SIMILARITY_THRESHOLD:
                break
            terms = [self.kb.term.fsn(cid), *self.kb.term.synonyms(cid)]
            if any(polarity_clash(bag, canonical_words(t)) for t in terms):
                continue
            if self._numbers_disagree(g.criteria, cid):
                continue
            rel = self._fits(kind, self.relations(cid))
            if rel:
                return self._finding(
                    text,
                    kind,
                    VERIFIED,
                    rel,
                    cid,
                    f"{rel} of the class (similarity {score:.2f})",
                    f"similarity {score:.2f}",
                )
        return self._finding(
            text, kind, UNVERIFIABLE, "unknown_term", reason="matches no term of the terminology"
        )

    # -- one class entry ---------------------------------------------------------------
    def audit_entry(
        self, description: str, phrases: Sequence[tuple[str, str, str]] = ()
    ) -> list[Finding]:
        """Every verdict for a description (each piece on its own) and recorded phrases
        (text, claimed kind, recorded concept id), plus duplicates and contradictions."""
        out: list[Finding] = []
        marker = chat_text(description)
        if marker:
            return [
                self._finding(
                    description[:120],
                    "any",
                    CONTRADICTED,
                    "chat_text",
                    reason=f"chat text ({marker!r}) pasted as a prompt",
                )
            ]
        n = word_count(description)
        if n > MAX_DESCRIPTION_WORDS:
            out.append(
                self._finding(
                    description[:80],
                    "",
                    STRUCTURAL,
                    "too_long",
                    reason=f"{n} words; text encoders truncate at {MAX_DESCRIPTION_WORDS}",
                )
            )
        if not description.strip():
            out.append(self._finding("", "", STRUCTURAL, "empty", reason="empty description"))
        spaces = "".join(c for c in disallowed_chars(description) if c.isspace())
        if spaces:  # splitting into pieces collapses whitespace: judge it on the whole text
            out.append(
                self._finding(
                    description[:120],
                    "any",
                    CONTRADICTED,
                    DISALLOWED_CHARS,
                    reason=disallowed_reason(spaces) or "",
                )
            )
        seen: dict[str, Finding] = {}
        for text, kind in split_pieces(description, lambda t: bool(self.kb.term.find(t))):
            f = self.judge(text, kind)
            out.append(self._against(f, seen))
        for text, kind, recorded in phrases:
            key = normalize_term(text)
            f = seen.get(key) or self.judge(text, kind)
            if key not in seen:
                f.where = "phrases"
                out.append(self._against(f, seen))
            if f.verdict == VERIFIED and kind in ("subtype", "feature", "name", "synonym"):
                want = "name" if kind == "synonym" else kind
                if recorded and f.concept_id and recorded != f.concept_id and want == f.code:
                    out.append(
                        self._finding(
                            text,
                            kind,
                            STRUCTURAL,
                            "phrase_mismatch",
                            f.concept_id,
                            f"the file records concept "
                            f"{recorded}; the phrase grounds to {f.concept_id}",
                        )
                    )
        return out

    def _against(self, f: Finding, seen: dict[str, Finding]) -> Finding:
        """Duplicate and contradiction rules against the phrases already judged."""
        key = normalize_term(f.phrase)
        if key in seen:
            return self._finding(
                f.phrase,
                f.kind,
                CONTRADICTED,
                "duplicate",
                f.concept_id,
                f"repeats {seen[key].phrase!r}",
                f.grounding,
            )
        seen[key] = f
        # subtypes, a group label's members and features reached through different subtypes
        # are alternatives, not joint statements: only the class's own criteria must agree
        if f.verdict != VERIFIED or f.code == "subtype" or len(self.cids) != 1:
            return f
        for prev in seen.values():
            if prev is f or prev.verdict != VERIFIED or prev.code == "subtype":
                continue
            if prev.concept_id not in self.feat.own and f.concept_id not in self.feat.own:
                continue
            ex = self.kb.table.excludes(prev.concept_id, f.concept_id)
            if ex:
                return self._finding(
                    f.phrase,
                    f.kind,
                    CONTRADICTED,
                    "contradiction",
                    f.concept_id,
                    f"excludes {prev.phrase!r} ({ex.topic}, {ex.source})",
                    f.grounding,
                )
        return f
