"""Build a prompt set: retrieve → (propose) → ground and verify every claim → compose.

Terminology-only selection is deterministic: the class name, up to ``MAX_SYNONYMS``
synonyms, up to ``MAX_SUBTYPES`` is-a descendants (nearest first, then alphabetical) and up to
``MAX_FEATURES`` linked ECG features (the class's own links first, then its descendants').
A proposer (an LLM, see ``ckepe.llm``) may instead propose the claims; each one is grounded
and verified (``ckepe.verify``) and only verified phrases reach the description.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ckepe import __version__
from ckepe.labelsets import LabelEntry, load_labelset, tasks_of
from ckepe.normalize import normalize_term, word_count
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

MAX_SYNONYMS = 2
MAX_SUBTYPES = 5
MAX_FEATURES = 6
CONTEXT_SUBTYPES = 12
CONTEXT_FEATURES = 12


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


def _phrase_form(term: GraphTerminology, cid: str) -> str | None:
    """The concept's name, or a synonym, usable inside a description (no , ; : separators)."""
    for t in (term.name(cid), *term.synonyms(cid)):
        if t and not any(ch in t for ch in ",;:") and not _is_abbreviation(t):
            return t.lower()
    return None


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


def retrieve(term: GraphTerminology, entry: LabelEntry,
             competitors: Sequence[str] = ()) -> dict[str, list[Any]]:
    """Ranked candidate synonyms, subtypes and features of a class.

    A feature linked only to a descendant is left out when it is also linked to a competing
    label's own concept (``competitors``): "fibrillatory f waves" reach an atrial-flutter
    prompt through "atrial fibrillation and flutter", but they characterise the AFIB label.
    """
    cids = [c for c in entry.concept_ids if c in term]
    rival = {f.concept_id for c in competitors if c not in cids
             for f in term.features(c, include_descendants=False)}
    seen = {normalize_term(entry.name), normalize_term(entry.label)}
    syns: list[tuple[str, str]] = []
    for c in cids:  # other concept names of a group label, then synonyms
        for t in (term.name(c), *term.synonyms(c)):
            n = normalize_term(t)
            if n not in seen and not _is_abbreviation(t) and not any(ch in t for ch in ",;:"):
                seen.add(n)
                syns.append((c, t.lower()))
    subs: dict[str, tuple[int, str]] = {}
    for c in cids:
        for d, depth in term.descendant_depths(c).items():
            if d not in cids:
                form = _phrase_form(term, d)
                if form and (d not in subs or subs[d][0] > depth):
                    subs[d] = (depth, form)
    subtypes = [(d, name) for d, (_, name) in sorted(subs.items(), key=lambda x: (x[1], x[0]))]
    feats: dict[str, tuple[str, str]] = {}
    for c in cids:
        for f in term.features(c, include_descendants=True):
            if f.class_concept_id not in cids and f.concept_id in rival:
                continue
            form = _phrase_form(term, f.concept_id) if f.concept_id in term else None
            if form and f.concept_id not in feats:
                feats[f.concept_id] = (form, f.criterion)
    features = [(cid, n, crit) for cid, (n, crit) in feats.items()]
    return {"synonyms": syns, "subtypes": subtypes, "features": features}


def context_for(dataset: str, entry: LabelEntry, tasks: list[str], cands: dict[str, list[Any]],
                others: Sequence[OtherLabel]) -> ClassContext:
    """The ClassContext handed to a proposer."""
    return ClassContext(
        dataset=dataset, task="+".join(tasks), label=entry.label, name=entry.name,
        concept_id=entry.concept_ids[0], synonyms=[t for _, t in cands["synonyms"]],
        subtypes=list(cands["subtypes"][:CONTEXT_SUBTYPES]),
        features=list(cands["features"][:CONTEXT_FEATURES]),
        other_labels=[o.name for o in others])


def compose(phrases: Sequence[Phrase]) -> str:
    """MERL-style description: ``name, synonyms; subtypes: …; ecg features: …`` (lower case)."""
    head = [p.text for p in phrases if p.kind in ("name", "synonym")]
    subs = [p.text for p in phrases if p.kind == "subtype"]
    feats = [p.text for p in phrases if p.kind == "feature"]
    parts = [", ".join(head)]
    if subs:
        parts.append("subtypes: " + ", ".join(subs))
    if feats:
        parts.append("ecg features: " + ", ".join(feats))
    return "; ".join(p for p in parts if p).lower()


def fit_to_length(phrases: list[Phrase]) -> list[Phrase]:
    """Drop trailing features, then subtypes, then synonyms until the description fits."""
    phrases = list(phrases)
    for kind in ("feature", "subtype", "synonym"):
        while word_count(compose(phrases)) > MAX_DESCRIPTION_WORDS:
            idx = [i for i, p in enumerate(phrases) if p.kind == kind]
            if not idx:
                break
            phrases.pop(idx[-1])
    return phrases


def _capped(verdicts: Sequence[Verdict]) -> list[Verdict]:
    caps = {"name": 1, "synonym": MAX_SYNONYMS, "subtype": MAX_SUBTYPES, "feature": MAX_FEATURES}
    counts: dict[str, int] = {}
    out = []
    for v in verdicts:
        counts[v.kind] = counts.get(v.kind, 0) + 1
        if counts[v.kind] <= caps.get(v.kind, 0):
            out.append(v)
    return out


def terminology_claims(entry: LabelEntry, cands: dict[str, list[Any]]) -> list[tuple[str, str,
                                                                                       str]]:
    """The deterministic terminology-only claims (text, kind, origin), ranked."""
    # a display name may carry the description's separators ("(unknown origin, SV or ...)")
    name = " ".join(entry.name.lower().replace(",", " ").replace(";", " ").replace(":", " ")
                    .split())
    claims = [(name, "name", "terminology")]
    claims += [(t, "synonym", "terminology") for _, t in cands["synonyms"]]
    claims += [(n, "subtype", "terminology") for _, n in cands["subtypes"]]
    claims += [(n, "feature", "terminology") for _, n, _ in cands["features"]]
    return claims


def build_class(term: GraphTerminology, dataset: str, entry: LabelEntry, tasks: list[str],
                others: Sequence[OtherLabel], proposer: Proposer | None = None
                ) -> tuple[ClassEntry, ClassStats]:
    """Build one class entry (phrases with provenance, rejected claims, description)."""
    cands = retrieve(term, entry, [c for o in others for c in o.concept_ids])
    verifier = ClassVerifier(term, entry.label, entry.concept_ids, (entry.name,), others)
    base = terminology_claims(entry, cands)
    stats = ClassStats(entry.label)
    fallback, why = proposer is None, None
    rejected: list[Verdict] = []
    accepted: list[Verdict] = []
    if proposer is not None:
        ctx = context_for(dataset, entry, tasks, cands, others)
        try:
            proposal = proposer(ctx)
        except Exception as exc:  # a backend failure must not lose the class
            if getattr(exc, "abort_build", False):  # endpoint down: stop, keep the old file
                raise
            proposal = Proposal(error=f"{type(exc).__name__}: {exc}")
        stats.proposed = len(proposal.claims)
        if proposal.error:
            why = f"proposer error: {proposal.error}"
        else:
            llm = [(c.text, c.kind, "llm") for c in proposal.claims]
            accepted, rejected = verifier.check_all(base[:1] + llm)
            rejected = [r for r in rejected if r.origin == "llm"]
            if not any(v.kind in ("subtype", "feature") for v in accepted):
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
    phrases = fit_to_length([Phrase(text=v.text, kind=v.kind, concept_id=v.concept_id or "",  # type: ignore[arg-type]
                           origin=v.origin) for v in _capped(accepted)])  # type: ignore[arg-type]
    desc = compose(phrases)
    stats.verified = sum(v.origin == "llm" for v in accepted) if not fallback else len(phrases)
    stats.rejected, stats.words = len(rejected), word_count(desc)
    stats.fallback = fallback and proposer is not None
    ce = ClassEntry(
        label=entry.label, tasks=tasks, concept_ids=list(entry.concept_ids), name=entry.name,
        description=desc, phrases=phrases, fallback=fallback and proposer is not None,
        fallback_reason=why,
        rejected=[RejectedClaim(text=r.text, kind=r.kind, origin=r.origin,  # type: ignore[arg-type]
                                code=r.code or "", reason=r.reason) for r in rejected])
    return ce, stats


def other_labels(entry: LabelEntry, tasks: list[str], rows: Sequence[LabelEntry]
                 ) -> list[OtherLabel]:
    """Labels of the same task(s) other than this one (for the leakage rule)."""
    out: dict[str, OtherLabel] = {}
    for r in rows:
        if r.task in tasks and r.label != entry.label and r.concept_ids != entry.concept_ids:
            out.setdefault(r.label, OtherLabel(r.label, r.name, r.concept_ids))
    return list(out.values())


def build_prompt_set(term: GraphTerminology, dataset: str, task: str | None = None,
                     proposer: Proposer | None = None, generator: dict[str, Any] | None = None,
                     labels_folder: Any = None, progress: bool = False) -> BuildResult:
    """Build the prompt set of one dataset (task None/``protocol`` = the published protocol)."""
    rows = load_labelset(dataset, task, labels_folder)
    classes, stats = [], []
    items = merge_entries(rows)
    if progress:
        from rich.progress import track

        items = list(track(items, description=f"building {dataset}", transient=True))
    for entry, tasks in items:
        ce, st = build_class(term, dataset, entry, tasks, other_labels(entry, tasks, rows),
                             proposer)
        classes.append(ce)
        stats.append(st)
    gen = GeneratorInfo(tool="ckepe", tool_version=__version__, **(generator or {}))
    ps = PromptSet(dataset=dataset, tasks=list(tasks_of(dataset, task)), classes=classes,
                   generator=gen, terminology=TerminologyInfo(
                       source=_public_source(term.source), version=term.version,
                       content_hash=term.content_hash)).with_version()
    return BuildResult(ps, stats)


def _public_source(source: str) -> str:
    """Record the bundled extract as a relative name, not this machine's path."""
    kd = str(knowledge_dir().resolve())
    return source.replace(kd, "knowledge") if kd in source else source
