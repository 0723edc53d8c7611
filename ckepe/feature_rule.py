"""The one feature rule shared by ``build-prompts`` and ``audit`` (DESIGN.md "Verification").

A feature belongs to a class when it is linked in ``features.tsv`` to one of the class's
concepts or to an is-a descendant of them, minus what characterises a competing label of the
same task:

- a feature linked to a class concept itself is always the class's own (a criterion shared
  with a competitor, such as "QRS duration 120 ms or more" for LBBB and RBBB, stays);
- a feature that reaches the class only through a descendant is dropped when it
  characterises a competing label: it is linked to the competitor's concept, or to a
  descendant of the competitor which is also below the class, as a defining criterion (the
  ``defining`` column of features.tsv; any link when the knowledge base has no such column).
  A subtype that is a label of its own keeps its features for itself (AVB vs Mobitz I, CSN
  STE vs STDD). Competitors that are is-a ancestors of the class are not rivals: what
  characterises a parent also holds for its subtypes.
"""

from __future__ import annotations

import csv
import logging
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ckepe.terminology import Feature, GraphTerminology, TerminologyError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClassFeatures:
    """The features a class may claim, and the ones the rule removed with the reason."""

    allowed: dict[str, Feature] = field(default_factory=dict)
    """feature concept id → Feature; the class's own links first, then its descendants'."""
    own: frozenset[str] = frozenset()
    """feature concept ids linked to a class concept itself (not only to a descendant)."""
    excluded: dict[str, str] = field(default_factory=dict)
    """feature concept id → the competitor concept id it characterises."""
    rivals: dict[str, str] = field(default_factory=dict)
    """every feature linked to a competitor in any way (own links of the class included) →
    that competitor; a composer that wants only distinguishing features drops these unless
    they are the class's defining criteria."""
    covered: frozenset[str] = frozenset()
    """concepts that are, or lie below, a competing label (subtypes a class must not claim)."""

    def __contains__(self, feature_id: object) -> bool:
        return feature_id in self.allowed


def below_class(
    term: GraphTerminology, class_concepts: Iterable[str], excluded: Iterable[str] = ()
) -> set[str]:
    """The is-a descendants of the class concepts, minus the label set's ``excluded`` concepts
    and everything below them (what the dataset does not file under the label)."""
    below: set[str] = set()
    for c in class_concepts:
        if c in term:
            below |= term.descendants(c)
    for x in excluded:
        if x in term:
            below -= {x, *term.descendants(x)}
    return below


def class_features(
    term: GraphTerminology,
    class_concepts: Sequence[str],
    competitors: Iterable[str] = (),
    excluded: Iterable[str] = (),
) -> ClassFeatures:
    """Apply the feature rule to one class (``competitors``: concept ids of the other labels
    of the same task; the class's own concepts among them are ignored; ``excluded``: the label
    set's excluded descendants, see :func:`below_class`). Results are cached per terminology
    object (read-only: do not mutate them)."""
    key = (tuple(class_concepts), tuple(dict.fromkeys(competitors)), tuple(excluded))
    cache = _RULE_CACHE.setdefault(term, {})
    if key not in cache:
        cache[key] = _class_features(term, *key)
    return cache[key]


_RULE_CACHE: weakref.WeakKeyDictionary[GraphTerminology, dict[Any, ClassFeatures]] = (
    weakref.WeakKeyDictionary()
)


def _class_features(
    term: GraphTerminology,
    class_concepts: Sequence[str],
    competitors: Sequence[str],
    excluded_concepts: Sequence[str] = (),
) -> ClassFeatures:
    cids = [c for c in dict.fromkeys(class_concepts) if c in term]
    below = below_class(term, cids, excluded_concepts)
    above: set[str] = set()
    for c in cids:
        above |= term.ancestors(c)
    # with exclusions, a descendant's feature counts only through a concept still below
    reach = (
        {f.concept_id for x in (*cids, *below) for f in term.features(x, include_descendants=False)}
        if excluded_concepts
        else None
    )
    own = {f.concept_id: f for c in cids for f in term.features(c, include_descendants=False)}
    rivals = [
        k for k in dict.fromkeys(competitors) if k not in cids and k not in above and k in term
    ]
    rival: dict[str, str] = {}
    characteristic: dict[str, str] = {}
    # with a ``defining`` column, a competitor is characterised by its defining criteria
    # (WPW's non-defining "QRS > 120 ms" does not take the criterion away from LBBB)
    marked = bool(getattr(term, "has_defining", False))
    for k in rivals:  # a competitor's own links first: they name it best in a reason
        for f in term.features(k, include_descendants=False):
            rival.setdefault(f.concept_id, k)
            if not marked or getattr(f, "defining", False):
                characteristic.setdefault(f.concept_id, k)
    for k in rivals:
        for r in sorted(term.descendants(k) & below):
            for f in term.features(r, include_descendants=False):
                rival.setdefault(f.concept_id, k)
                if not marked or getattr(f, "defining", False):
                    characteristic.setdefault(f.concept_id, k)
    allowed: dict[str, Feature] = dict(own)
    excluded: dict[str, str] = {}
    for c in cids:
        for f in term.features(c, include_descendants=True):
            if f.concept_id in allowed or (reach is not None and f.concept_id not in reach):
                continue
            if f.concept_id in characteristic:
                excluded.setdefault(f.concept_id, characteristic[f.concept_id])
            else:
                allowed[f.concept_id] = f
    covered = {c for k in rivals for c in (k, *term.descendants(k))}
    return ClassFeatures(allowed, frozenset(own), excluded, rival, frozenset(covered))


@dataclass(frozen=True)
class Exclusion:
    """Two feature concepts that cannot both hold (a row of knowledge/contradictions.tsv)."""

    a: str
    b: str
    topic: str
    source: str


CONTRADICTION_COLUMNS = ["concept_id_a", "term_a", "concept_id_b", "term_b", "topic", "source"]


class ContradictionTable:
    """Features that exclude each other, read from ``contradictions.tsv`` beside features.tsv."""

    def __init__(self, rows: Iterable[Exclusion] = ()) -> None:
        self._pairs: dict[str, dict[str, Exclusion]] = {}
        for r in rows:
            self._pairs.setdefault(r.a, {})[r.b] = r
            self._pairs.setdefault(r.b, {})[r.a] = r

    def __len__(self) -> int:
        return sum(len(v) for v in self._pairs.values()) // 2

    def excludes(self, a: str | None, b: str | None) -> Exclusion | None:
        """The row saying ``a`` and ``b`` exclude each other, or None."""
        if a is None or b is None:
            return None
        return self._pairs.get(a, {}).get(b)

    def excluded_by(self, a: str) -> dict[str, Exclusion]:
        """{concept id: row} of every feature that ``a`` excludes."""
        return dict(self._pairs.get(a, {}))

    @classmethod
    def read(cls, path: Path) -> ContradictionTable:
        """Read the table; a missing file is an empty table (logged)."""
        if not path.exists():
            logger.info("no contradiction table at %s", path)
            return cls()
        rows = []
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            missing = set(CONTRADICTION_COLUMNS) - set(reader.fieldnames or [])
            if missing:
                raise TerminologyError(f"{path}: missing columns {sorted(missing)}")
            for i, row in enumerate(reader, start=2):
                a, b = row["concept_id_a"].strip(), row["concept_id_b"].strip()
                if not a or not b or not row["source"].strip():
                    raise TerminologyError(f"{path}:{i}: a row needs two concept ids and a source")
                rows.append(Exclusion(a, b, row["topic"].strip(), row["source"].strip()))
        return cls(rows)


def contradiction_table(term: GraphTerminology) -> ContradictionTable:
    """The table of the knowledge folder holding the terminology's features.tsv (cached)."""
    path = Path(term.features_path).resolve().parent / "contradictions.tsv"
    key = (str(path), path.stat().st_mtime if path.exists() else 0.0)
    if key not in _TABLES:
        _TABLES[key] = ContradictionTable.read(path)
    return _TABLES[key]


_TABLES: dict[tuple[str, float], ContradictionTable] = {}
