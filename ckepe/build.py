"""Build a prompt set: retrieve → (propose) → ground and verify every claim → compose.

Composition rule (knowledge/REVIEW.md, DESIGN.md "Verification"):

- a class states its name, then its **defining criteria** (``defining`` column of
  features.tsv, 1–3 per class concept) before anything else; a class without one is a
  :class:`BuildError` when the knowledge base marks defining criteria at all;
- the ECG features of a class are the links of its own concept(s) only: a descendant's
  feature belongs to the subtype's phrase ("atrial fibrillation with rapid ventricular
  response", not "rate above 100");
- a supporting (non-defining) feature that characterises a competing label of the same task
  (linked to its concept, or to its descendants below this class) is left out, and so is a
  subtype that is itself a competing label or lies below one: a parent label (CSN STE, PTB-XL
  TAB) says what distinguishes it, not its competitors' criteria;
- then supporting features, then subtypes, within ``MAX_DESCRIPTION_WORDS``; defining
  criteria are never dropped.

Two composition styles (``STYLES``): ``criteria`` is the rule above; ``report`` states the
name, the words reports use for the class (``knowledge/report_terms.tsv``), the members that
make up most of its records in the dataset (``knowledge/members.tsv``, counted on the
published training split) and at most ``REPORT_FINDINGS`` defining findings, preferring a
wording without numeric thresholds. Both print only verified phrases.

Prompt text is rendered, not copied: a verified phrase is stored and printed in the
terminology's own wording of its concept (the term the claim matched for a synonym, the
concept's name otherwise), never in a proposer's spelling; case and symbols are the
terminology's (rsR', flutter F waves vs fibrillatory f waves), with only the sentence-initial
capital of a SNOMED-style name lowered. A rendered phrase holds only ``RENDER_ALLOWED``
characters (letters, digits, space and ``' - / + . ( ) < > = %``); anything else is a
:class:`BuildError` (the knowledge base, not a proposer, would be at fault).

Terminology-only selection is deterministic. A proposer (an LLM, see ``ckepe.llm``) may
propose the supporting claims; each one is grounded and verified (``ckepe.verify``) and must
also pass the rule above; the defining criteria come from the knowledge base either way.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ckepe import __version__
from ckepe.feature_rule import below_class, class_features
from ckepe.labelsets import LabelEntry, LabelSetError, load_labelset, tasks_of
from ckepe.normalize import normalize_term, strip_semantic_tag, word_count
from ckepe.promptfile import (
    ClassEntry,
    GeneratorInfo,
    Phrase,
    PromptSet,
    RejectedClaim,
    TerminologyInfo,
)
from ckepe.terminology import GraphTerminology, knowledge_dir
from ckepe.verify import MAX_DESCRIPTION_WORDS, ClassVerifier, OtherLabel, Verdict

logger = logging.getLogger(__name__)

STYLES = ("criteria", "report")
DEFAULT_STYLE = "criteria"
REPORT_FINDINGS = 2
REPORT_MEMBERS = 3
REPORT_MEMBER_SHARE = 0.2  # a member named in a report-style prompt carries >= 20 % of records
RENDER_ALLOWED = re.compile(r"^[A-Za-z0-9 '\-/+.()<>=%]+$")
# first words that keep their capital (eponyms) when a name is rendered mid-sentence
_EPONYMS = frozenset(
    {"Mobitz", "Wenckebach", "Cornell", "Sokolow", "Brugada", "Lown", "Wolff", "Wolf", "Osborn"}
)
MAX_SYNONYMS = 2
MAX_SUBTYPES = 5
MAX_FEATURES = 6
CONTEXT_SUBTYPES = 12
CONTEXT_FEATURES = 12


class BuildError(LabelSetError):
    """The knowledge base cannot give a class its prompt (no defining criterion, or one that
    cannot be stated within the length limit)."""


@dataclass(frozen=True)
class ClassContext:
    """What a proposer is told about one class (retrieved from the terminology)."""

    dataset: str
    task: str
    label: str
    name: str
    concept_id: str
    synonyms: list[str]
    subtypes: list[tuple[str, str]]
    features: list[tuple[str, str, str]]
    other_labels: list[str]


@dataclass
class RawClaim:
    """One phrase a proposer claims for a class."""

    text: str
    kind: Literal["subtype", "feature", "synonym", "name"] | str


@dataclass
class Proposal:
    """A proposer's answer: claims, the raw model text, or an error (⇒ fallback)."""

    claims: list[RawClaim] = field(default_factory=list)
    raw_text: str = ""
    error: str | None = None


Proposer = Callable[[ClassContext], Proposal]


@dataclass
class ClassStats:
    """Counts for the build summary table."""

    label: str
    proposed: int = 0
    verified: int = 0
    rejected: int = 0
    fallback: bool = False
    words: int = 0


@dataclass
class BuildResult:
    """A built prompt set plus per-class statistics."""

    prompt_set: PromptSet
    stats: list[ClassStats]


def _is_abbreviation(term: str) -> bool:
    """One short or mixed-case token (LBBB, AFib, A-fib, Brady): kept out of descriptions."""
    t = term.strip()
    return " " not in t and (t.isupper() or len(t) <= 5 or any(c.isupper() for c in t[1:]))


def _pt(term: GraphTerminology, cid: str) -> str:
    """The concept's preferred term in the terminology's case (its FSN without the tag;
    ``Concept.name`` is lower-cased for matching)."""
    return strip_semantic_tag(term.fsn(cid)) if term.fsn(cid) else ""


def render_case(text: str) -> str:
    """A terminology term as printed mid-description: the sentence-initial capital of a
    SNOMED-style name ("Sawtooth flutter F waves") is lowered unless the first word is an
    eponym or carries more capitals (QRS, rsR', ST); every other character is kept."""
    first = text.split(" ", 1)[0]
    word = first.split("-", 1)[0]
    if (
        len(word) > 1
        and word[0].isupper()
        and word[1:].isalpha()
        and word[1:].islower()
        and word not in _EPONYMS
    ):
        return text[0].lower() + text[1:]
    return text


def field_spelling(text: str, terms: Sequence[str]) -> str:
    """Of ``terms`` that normalise like ``text``, the one in the fewest words ("ST changes",
    not the spelled-out "s t changes"; a hyphen or slash separates words too, so "long QT
    interval" and "long QT-interval" tie), then the one that keeps the field's capitals
    ("ST elevation", not "st elevation"), then file order; all are terms of one concept, so
    the choice never changes what is named; ``text`` when none matches."""
    want = normalize_term(text)
    same = [t for t in terms if normalize_term(t) == want] or [text]
    return min(same, key=lambda t: (len(re.split(r"[\s/-]+", t)), -_acronyms(t)))


def _acronyms(text: str) -> int:
    """Words written with a capital after their first letter (ST, QRS, rsR', aVL): the
    field's symbols, which a lower-cased mapping-table spelling ("st elevation") loses; a
    title-case capital (Sinus Rhythm) does not count."""
    return sum(1 for w in re.split(r"[\s/-]+", text) if any(ch.isupper() for ch in w[1:]))


def _phrase_form(term: GraphTerminology, cid: str) -> str | None:
    """The concept's name, or a synonym, usable inside a description (no , ; : separators),
    in the terminology's case (see :func:`render_case`)."""
    for t in (_pt(term, cid), *term.synonyms(cid)):
        if t and not any(ch in t for ch in ",;:") and not _is_abbreviation(t):
            return render_case(t)
    return None


def render_phrase(term: GraphTerminology, v: Verdict, name: str) -> str:
    """The printed text of a verified phrase, from the terminology (module docstring): the
    label's display name; otherwise the concept's term that the claim matched (normalised:
    the claim's spelling and case never reach the file), else the concept's name."""
    cid = v.concept_id or ""
    if v.kind == "name":
        out = name
    elif cid not in term:
        raise BuildError(f"verified phrase {v.text!r} has no concept in the terminology")
    else:  # the concept's own term that the claim matched, else the concept's name
        want = normalize_term(v.text)
        terms = [t for t in (_pt(term, cid), *term.synonyms(cid)) if t]
        hit = [t for t in terms if normalize_term(t) == want and not any(c in t for c in ",;:")]
        out = render_case(field_spelling(hit[0], hit)) if hit else (_phrase_form(term, cid) or "")
    if not out or not RENDER_ALLOWED.match(out):
        raise BuildError(
            f"concept {cid}: rendered text {out!r} is empty or holds a character outside "
            "the render allowlist"
        )
    return out


def merge_entries(rows: Sequence[LabelEntry]) -> list[tuple[LabelEntry, list[str]]]:
    """One entry per label; a label in several tasks with the same concepts is merged."""
    merged: dict[tuple[str, tuple[str, ...], str], tuple[LabelEntry, list[str]]] = {}
    for r in rows:
        key = (r.label, r.concept_ids, r.name)
        if key in merged:
            merged[key][1].append(r.task)
        else:
            merged[key] = (r, [r.task])
    return list(merged.values())


def retrieve(
    term: GraphTerminology, entry: LabelEntry, competitors: Sequence[str] = ()
) -> dict[str, list[Any]]:
    """Ranked candidate synonyms, subtypes and features of a class (module rule).

    ``features`` lists the defining criteria first, then the supporting features that no
    competing label (``competitors``: their concept ids) characterises; ``defining`` holds
    the defining feature ids, ``own`` every feature id linked to the class concepts,
    ``excluded`` (feature or subtype id, why) what the rule removed.
    """
    cids = [c for c in entry.concept_ids if c in term]
    rule = class_features(term, cids, competitors, entry.excluded_ids)  # the audit's rule
    keep = below_class(term, cids, entry.excluded_ids)
    rival, covered = rule.rivals, rule.covered
    seen = {normalize_term(entry.name), normalize_term(entry.label)}
    syns: list[tuple[str, str]] = []
    # the head concept's synonyms first, then the other concepts of a group label (their
    # names, then synonyms); of the terms that normalise alike, the one in fewest words
    for c in cids:
        usable = [
            t
            for t in (_pt(term, c), *term.synonyms(c))
            if t and not _is_abbreviation(t) and not any(ch in t for ch in ",;:")
        ]
        for t in usable:
            n = normalize_term(t)
            if n not in seen:
                seen.add(n)
                syns.append((c, render_case(field_spelling(t, usable))))
    excluded: list[tuple[str, str]] = []
    subs: dict[str, tuple[int, str]] = {}
    for c in cids:
        for d, depth in term.descendant_depths(c).items():
            if d in cids:
                continue
            if d not in keep:
                excluded.append((d, "excluded from this label by the label set"))
                continue
            if d in covered:
                excluded.append((d, "subtype that is (or lies below) a competing label"))
                continue
            form = _phrase_form(term, d)
            if form and (d not in subs or subs[d][0] > depth):
                subs[d] = (depth, form)
    subtypes = [(d, name) for d, (_, name) in sorted(subs.items(), key=lambda x: (x[1], x[0]))]
    own = [f for c in cids for f in term.features(c, include_descendants=False)]
    defining = list(dict.fromkeys(f.concept_id for f in own if f.defining))
    feats: dict[str, tuple[str, str]] = {}
    for f in sorted(own, key=lambda f: f.concept_id not in defining):  # stable: file order
        if f.concept_id in feats:
            continue
        if f.concept_id not in defining and f.concept_id in rival:
            excluded.append(
                (f.concept_id, f"characterises competing concept {rival[f.concept_id]}")
            )
            continue
        form = _phrase_form(term, f.concept_id) if f.concept_id in term else None
        if form:
            feats[f.concept_id] = (form, f.criterion)
        elif f.concept_id in defining:
            raise BuildError(
                f"{entry.label}: defining criterion {f.concept_id} has no name "
                "usable in a description (no , ; : allowed)"
            )
    features = [(cid, n, crit) for cid, (n, crit) in feats.items()]
    own_ids = {f.concept_id for f in own}
    excluded += [
        (f, f"characterises competing concept {k}") for f, k in rival.items() if f not in own_ids
    ]
    return {
        "synonyms": syns,
        "subtypes": subtypes,
        "features": features,
        "defining": defining,
        "excluded": excluded,
        "own": list(dict.fromkeys(f.concept_id for f in own)),
    }


def context_for(
    dataset: str,
    entry: LabelEntry,
    tasks: list[str],
    cands: dict[str, list[Any]],
    others: Sequence[OtherLabel],
) -> ClassContext:
    """The ClassContext handed to a proposer."""
    return ClassContext(
        dataset=dataset,
        task="+".join(tasks),
        label=entry.label,
        name=entry.name,
        concept_id=entry.concept_ids[0],
        synonyms=[t for _, t in cands["synonyms"]],
        subtypes=list(cands["subtypes"][:CONTEXT_SUBTYPES]),
        features=list(cands["features"][:CONTEXT_FEATURES]),
        other_labels=[o.name for o in others],
    )


def compose(phrases: Sequence[Phrase], style: str = DEFAULT_STYLE) -> str:
    """``criteria``: ``name, synonyms; ecg features: …; subtypes: …``; ``report``: ``name,
    report words; subtypes: members; ecg features: findings``. Phrases in list order (the
    builder puts the defining criteria first among the features), in their rendered case:
    nothing is lower-cased here."""
    head = [p.text for p in phrases if p.kind in ("name", "synonym")]
    feats = [p.text for p in phrases if p.kind == "feature"]
    subs = [p.text for p in phrases if p.kind == "subtype"]
    parts = [", ".join(head)]
    sections = [("ecg features: ", feats), ("subtypes: ", subs)]
    if style == "report":
        sections.reverse()
    parts += [head_ + ", ".join(items) for head_, items in sections if items]
    return "; ".join(p for p in parts if p)


def fit_to_length(
    phrases: list[Phrase], keep: Collection[str] = (), style: str = DEFAULT_STYLE
) -> list[Phrase]:
    """Drop trailing supporting features, then subtypes, then synonyms until the description
    fits; the name and the defining criteria (concept ids in ``keep``) are never dropped."""
    phrases = list(phrases)
    for kind in ("feature", "subtype", "synonym"):
        while word_count(compose(phrases, style)) > MAX_DESCRIPTION_WORDS:
            idx = [
                i
                for i, p in enumerate(phrases)
                if p.kind == kind and not (kind == "feature" and p.concept_id in keep)
            ]
            if not idx:
                break
            phrases.pop(idx[-1])
    return phrases


def _ordered(verdicts: Sequence[Verdict], defining: Sequence[str]) -> list[Verdict]:
    """Name, synonyms, defining criteria (KB order), supporting features, subtypes; capped."""
    caps = {
        "name": 1,
        "synonym": MAX_SYNONYMS,
        "subtype": MAX_SUBTYPES,
        "feature": max(MAX_FEATURES, len(defining)),
    }
    rank = {"name": 0, "synonym": 1, "feature": 3, "subtype": 4}

    def key(v: Verdict) -> tuple[int, int]:
        if v.kind == "feature" and v.concept_id in defining:
            return 2, defining.index(v.concept_id)
        return rank.get(v.kind, 5), 0

    counts: dict[str, int] = {}
    out = []
    for v in sorted(verdicts, key=key):
        counts[v.kind] = counts.get(v.kind, 0) + 1
        if counts[v.kind] <= caps.get(v.kind, 0):
            out.append(v)
    return out


def terminology_claims(
    entry: LabelEntry, cands: dict[str, list[Any]]
) -> list[tuple[str, str, str]]:
    """The deterministic terminology-only claims (text, kind, origin): name, defining
    criteria, synonyms, supporting features, subtypes."""
    # a display name may carry the description's separators ("(unknown origin, SV or ...)")
    name = _display_name(entry)
    claims = [(name, "name", "terminology")]
    claims += [
        (n, "feature", "terminology") for c, n, _ in cands["features"] if c in cands["defining"]
    ]
    claims += [(t, "synonym", "terminology") for _, t in cands["synonyms"]]
    claims += [
        (n, "feature", "terminology") for c, n, _ in cands["features"] if c not in cands["defining"]
    ]
    claims += [(n, "subtype", "terminology") for _, n in cands["subtypes"]]
    return claims


def _display_name(entry: LabelEntry) -> str:
    """The label set's display name without the description's separators (a display name may
    carry them: "(unknown origin, SV or ...)"), in its own case."""
    return " ".join(entry.name.replace(",", " ").replace(";", " ").replace(":", " ").split())


def _report_wording(term: GraphTerminology, fid: str) -> str | None:
    """A defining finding in report wording: the feature concept's first name or synonym
    without a numeric threshold, else its name."""
    forms = [
        t
        for t in (_pt(term, fid), *term.synonyms(fid))
        if t and not any(ch in t for ch in ",;:") and not _is_abbreviation(t)
    ]
    plain = [t for t in forms if not any(ch.isdigit() for ch in t)]
    return render_case((plain or forms or [""])[0]) or None


def report_claims(
    term: GraphTerminology,
    dataset: str,
    entry: LabelEntry,
    cands: dict[str, list[Any]],
    vocab: ReportVocabulary,
) -> list[tuple[str, str, str]]:
    """The ``report`` style's claims (text, kind, origin): name, defining findings in report
    wording (at most ``REPORT_FINDINGS``, digit-free ones first), report terms of the class
    concepts, then the members that make up most of the label's records."""
    claims = [(_display_name(entry), "name", "terminology")]
    defining = list(cands["defining"])
    worded = [(f, _report_wording(term, f)) for f in defining if f in term]
    worded.sort(key=lambda fw: any(ch.isdigit() for ch in fw[1] or "0"))  # stable
    claims += [(w, "feature", "terminology") for _, w in worded[:REPORT_FINDINGS] if w]
    seen = {normalize_term(entry.name), normalize_term(entry.label)}
    for c in entry.concept_ids:
        for t in vocab.terms.get(c, []):
            n = normalize_term(t)
            if n not in seen and not _is_abbreviation(t) and not any(ch in t for ch in ",;:"):
                seen.add(n)
                claims.append((render_case(t), "synonym", "terminology"))
    allowed = {d for d, _ in cands["subtypes"]}
    for _cid, name in vocab.members_of(dataset, entry.label, allowed):
        claims.append((name, "subtype", "terminology"))
    return claims


@dataclass
class ReportVocabulary:
    """``knowledge/report_terms.tsv`` (concept id → report terms, source order) and
    ``knowledge/members.tsv`` ((dataset, label) → [(member concept id, records, of)])."""

    terms: dict[str, list[str]] = field(default_factory=dict)
    members: dict[tuple[str, str], list[tuple[str, int, int]]] = field(default_factory=dict)
    term: GraphTerminology | None = None

    @classmethod
    def read(cls, folder: Path, term: GraphTerminology | None = None) -> ReportVocabulary:
        """Read both files from ``folder`` (missing files: an empty vocabulary)."""
        out = cls(term=term)
        p = folder / "report_terms.tsv"
        if p.exists():
            with p.open(encoding="utf-8", newline="") as f:
                for r in csv.DictReader(f, delimiter="\t"):
                    out.terms.setdefault(r["concept_id"], []).append(r["term"])
        p = folder / "members.tsv"
        if p.exists():
            with p.open(encoding="utf-8", newline="") as f:
                for r in csv.DictReader(f, delimiter="\t"):
                    out.members.setdefault((r["dataset"], r["label"]), []).append(
                        (r["member_concept_id"], int(r["member_records"]), int(r["label_records"]))
                    )
        return out

    def members_of(
        self, dataset: str, label: str, allowed: Collection[str]
    ) -> list[tuple[str, str]]:
        """(concept id, rendered name) of the members that make up most of the label's
        records: by count, each carrying at least ``REPORT_MEMBER_SHARE`` of them (a record
        may carry several), at most ``REPORT_MEMBERS``; only subtypes the class may name."""
        out: list[tuple[str, str]] = []
        for cid, n, total in self.members.get((dataset, label), []):
            if len(out) >= REPORT_MEMBERS:
                break
            if cid not in allowed or not total or n / total < REPORT_MEMBER_SHARE:
                continue
            name = _phrase_form(self.term, cid) if self.term is not None else None
            if name:
                out.append((cid, name))
        return out

    def by_records(
        self, dataset: str, label: str, subtypes: Sequence[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        """``subtypes`` (concept id, name) with the label's members first, most records
        first, the rest in their given order: a class names what most of its records are
        (HYP: left ventricular hypertrophy) before rarer or broader subtypes."""
        rows = sorted(self.members.get((dataset, label), []), key=lambda r: -r[1])
        rank = {cid: i for i, (cid, _n, _t) in enumerate(rows)}
        return sorted(subtypes, key=lambda s: rank.get(s[0], len(rank)))

    def counts(self, dataset: str, label: str, ids: Collection[str]) -> dict[str, list[int]]:
        """{member concept id: [records, label records]} for the named members."""
        return {c: [n, t] for c, n, t in self.members.get((dataset, label), []) if c in ids}


def _rule_check(
    accepted: list[Verdict], cands: dict[str, list[Any]]
) -> tuple[list[Verdict], list[Verdict]]:
    """Apply the composition rule to verified LLM claims (terminology claims already obey it)."""
    why = dict(cands["excluded"])
    own = set(cands["own"])
    keep, drop = [], []
    for v in accepted:
        cid = v.concept_id or ""
        if v.origin != "llm" or v.kind not in ("feature", "subtype"):
            keep.append(v)
        elif cid in why:
            code = "competing_label_feature" if v.kind == "feature" else "competing_label_subtype"
            drop.append(Verdict.reject(v.text, v.kind, code, why[cid], v.origin, cid))
        elif v.kind == "feature" and cid not in own:
            drop.append(
                Verdict.reject(
                    v.text,
                    v.kind,
                    "subtype_feature",
                    "linked only to a "
                    "subtype: it belongs to the subtype's phrase, not to "
                    "the class",
                    v.origin,
                    cid,
                )
            )
        else:
            keep.append(v)
    return keep, drop


def _propose(proposer: Proposer, ctx: ClassContext) -> Proposal:
    try:
        return proposer(ctx)
    except Exception as exc:  # a backend failure must not lose the class
        if getattr(exc, "abort_build", False):  # endpoint down: stop, keep the old file
            raise
        return Proposal(error=f"{type(exc).__name__}: {exc}")


def build_class(
    term: GraphTerminology,
    dataset: str,
    entry: LabelEntry,
    tasks: list[str],
    others: Sequence[OtherLabel],
    proposer: Proposer | None = None,
    style: str = DEFAULT_STYLE,
    vocab: ReportVocabulary | None = None,
) -> tuple[ClassEntry, ClassStats]:
    """Build one class entry (phrases with provenance, rejected claims, description) in a
    composition style (``STYLES``; ``report`` reads ``vocab``)."""
    if style not in STYLES:
        raise BuildError(f"unknown prompt style {style!r} (one of {', '.join(STYLES)})")
    cands = retrieve(term, entry, [c for o in others for c in o.concept_ids])
    vocab = vocab or ReportVocabulary(term=term)
    cands["subtypes"] = vocab.by_records(dataset, entry.label, cands["subtypes"])
    defining = list(cands["defining"])
    if getattr(term, "has_defining", False) and not defining:
        raise BuildError(
            f"{dataset} {entry.label}: no defining criterion for concept(s) "
            f"{', '.join(entry.concept_ids)} in features.tsv"
        )
    verifier = ClassVerifier(
        term, entry.label, entry.concept_ids, (entry.name,), others, entry.excluded_ids
    )
    if style == "report":
        base = report_claims(term, dataset, entry, cands, vocab)
        n_head = 1 + sum(1 for _, k, _ in base if k == "feature")
        head = base[:n_head]  # the name and the report findings, always
    else:
        base = terminology_claims(entry, cands)
        head = base[: 1 + len(defining)]  # the name and the defining criteria, always
    stats = ClassStats(entry.label)
    fallback, why = proposer is None, None
    rejected: list[Verdict] = []
    accepted: list[Verdict] = []
    if proposer is not None:
        proposal = _propose(proposer, context_for(dataset, entry, tasks, cands, others))
        stats.proposed = len(proposal.claims)
        if proposal.error:
            why = f"proposer error: {proposal.error}"
        else:
            llm = [(c.text, c.kind, "llm") for c in proposal.claims]
            accepted, rejected = verifier.check_all(head + llm)
            accepted, ruled = _rule_check(accepted, cands)
            if style == "report":  # report style: findings are the head's defining ones only
                accepted = [v for v in accepted if v.kind != "feature" or v.origin != "llm"]
            # an LLM claim restating a defining criterion is right, not rejected
            restated = [
                r
                for r in rejected
                if r.origin == "llm" and r.code == "duplicate" and r.concept_id in defining
            ]
            rejected = [r for r in rejected if r.origin == "llm" and r not in restated] + ruled
            stats.verified = sum(v.origin == "llm" for v in accepted) + len(restated)
            if not any(v.kind in ("subtype", "feature") and v.origin == "llm" for v in accepted):
                why = "no verified subtype or feature among the proposer's claims"
            else:
                fallback = False
        if why:
            fallback = True
            logger.info("%s: falling back to terminology-only (%s)", entry.label, why)
    if fallback:  # candidates dropped here (duplicates, contradictions) are selection, not
        accepted, dropped = verifier.check_all(base)  # hallucination: logged, not recorded
        for d in dropped:
            logger.debug("%s: candidate %r dropped: %s", entry.label, d.text, d.reason)
    if style == "report":  # the findings the head states are the ones that must survive
        defining = [
            v.concept_id or ""
            for v in accepted
            if v.kind == "feature" and v.origin == "terminology"
        ]
    display = _display_name(entry)
    phrases = fit_to_length(
        [
            Phrase(
                text=render_phrase(term, v, display),  # rendered, never the claim's string
                kind=v.kind,
                concept_id=v.concept_id or "",  # type: ignore[arg-type]
                origin=v.origin,
            )
            for v in _ordered(accepted, defining)
        ],  # type: ignore[arg-type]
        keep=defining,
        style=style,
    )
    if not phrases or phrases[0].kind != "name":
        raise BuildError(
            f"{dataset} {entry.label}: the display name {entry.name!r} did not pass "
            "verification (it names another concept): fix the label set"
        )
    lost = set(defining) - {p.concept_id for p in phrases}
    if lost:
        raise BuildError(
            f"{dataset} {entry.label}: defining criteria {sorted(lost)} did not "
            "survive verification or the length limit"
        )
    desc = compose(phrases, style)
    if fallback:
        stats.verified = len(phrases)
    stats.rejected, stats.words = len(rejected), word_count(desc)
    stats.fallback = fallback and proposer is not None
    ce = ClassEntry(
        label=entry.label,
        tasks=tasks,
        concept_ids=list(entry.concept_ids),
        name=entry.name,
        description=desc,
        phrases=phrases,
        fallback=fallback and proposer is not None,
        fallback_reason=why,
        rejected=[
            RejectedClaim(
                text=r.text,
                kind=r.kind,
                origin=r.origin,  # type: ignore[arg-type]
                code=r.code or "",
                reason=r.reason,
            )
            for r in rejected
        ],
    )
    return ce, stats


def other_labels(
    entry: LabelEntry, tasks: list[str], rows: Sequence[LabelEntry]
) -> list[OtherLabel]:
    """Labels of the same task(s) other than this one (for the leakage rule)."""
    out: dict[str, OtherLabel] = {}
    for r in rows:
        if r.task in tasks and r.label != entry.label and r.concept_ids != entry.concept_ids:
            out.setdefault(r.label, OtherLabel(r.label, r.name, r.concept_ids))
    return list(out.values())


def build_prompt_set(
    term: GraphTerminology,
    dataset: str,
    task: str | None = None,
    proposer: Proposer | None = None,
    generator: dict[str, Any] | None = None,
    labels_folder: Any = None,
    progress: Callable[[int, int, str], None] | None = None,
    style: str = DEFAULT_STYLE,
    vocab: ReportVocabulary | None = None,
) -> BuildResult:
    """Build the prompt set of one dataset (task None/``protocol`` = the published protocol)
    in a composition style; ``report`` reads ``vocab`` (default: the bundled knowledge's
    report_terms.tsv and members.tsv). ``progress(i, n, label)`` is called before each of
    the ``n`` classes is built. The style is recorded in the generator block, with
    the member counts behind the members a report-style prompt names."""
    if style not in STYLES:
        raise BuildError(f"unknown prompt style {style!r} (one of {', '.join(STYLES)})")
    if vocab is None:  # member counts order subtypes in both styles; report style names them
        vocab = ReportVocabulary.read(knowledge_dir(), term)
    rows = load_labelset(dataset, task, labels_folder)
    classes, stats = [], []
    member_counts: dict[str, dict[str, list[int]]] = {}
    items = merge_entries(rows)
    for i, (entry, tasks) in enumerate(items):
        if progress:
            progress(i, len(items), entry.label)
        ce, st = build_class(
            term, dataset, entry, tasks, other_labels(entry, tasks, rows), proposer, style, vocab
        )
        classes.append(ce)
        stats.append(st)
        if style == "report" and vocab is not None:
            named = {p.concept_id for p in ce.phrases if p.kind == "subtype"}
            got = vocab.counts(dataset, entry.label, named)
            if got:
                member_counts[entry.label] = got
    extra: dict[str, Any] = {"style": style}
    if member_counts:
        extra["member_counts"] = {
            "source": "knowledge/members.tsv (MERL training split, S04)",
            "records": member_counts,
        }
    gen = GeneratorInfo(tool="ckepe", tool_version=__version__, **{**(generator or {}), **extra})
    ps = PromptSet(
        dataset=dataset,
        tasks=list(tasks_of(dataset, task)),
        classes=classes,
        generator=gen,
        terminology=TerminologyInfo(
            source=_public_source(term.source), version=term.version, content_hash=term.content_hash
        ),
    ).with_version()
    return BuildResult(ps, stats)


def _public_source(source: str) -> str:
    """Record the bundled extract as a relative name, not this machine's path."""
    kd = str(knowledge_dir().resolve())
    return source.replace(kd, "knowledge") if kd in source else source
