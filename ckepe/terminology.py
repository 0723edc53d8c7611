"""SNOMED CT-keyed terminology access: the bundled ECG extract, a full RF2 release, pymedtermino.

All backends answer the same questions (``Terminology``): a concept by id, concepts by a
normalised term, is-a ancestors / descendants / children, and the ECG signal features linked
to a class in ``knowledge/features.tsv`` (features come from that file for every backend).
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import pandas as pd

from ckepe.errors import CkepeError
from ckepe.normalize import normalize_term, strip_semantic_tag
from ckepe.resources import knowledge_dir

logger = logging.getLogger(__name__)

FSN_TYPE = "900000000000003001"
SYNONYM_TYPE = "900000000000013009"
IS_A = "116680003"
FEATURE_COLUMNS = ["class_concept_id", "feature_concept_id", "feature_kind", "criterion", "source"]
FEATURE_KINDS = {
    "rhythm",
    "rate",
    "p_wave",
    "pr",
    "qrs",
    "st",
    "t",
    "qt",
    "axis",
    "voltage",
    "morphology",
}


class TerminologyError(CkepeError, ValueError):
    """A terminology source is missing or malformed."""


@dataclass(frozen=True)
class Concept:
    """One active concept: id, fully specified name and its other descriptions."""

    id: str
    fsn: str
    synonyms: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The FSN without its semantic tag, lower-cased (the display form used in prompts)."""
        return strip_semantic_tag(self.fsn).lower()

    @property
    def semantic_tag(self) -> str:
        m = re.search(r"\(([^()]*)\)\s*$", self.fsn)
        return m.group(1) if m else ""


@dataclass(frozen=True)
class Feature:
    """An ECG signal feature linked to a class concept (a row of features.tsv)."""

    class_concept_id: str
    concept_id: str
    kind: str
    criterion: str
    source: str
    term: str = ""
    defining: bool = False  # one of the class's 1-3 defining criteria (column ``defining``)


class Terminology(Protocol):
    """What every backend offers (see docs/INTERFACES.md)."""

    version: str
    content_hash: str
    source: str

    def get(self, concept_id: str) -> Concept | None: ...
    def find(self, term: str) -> list[str]: ...
    def parents(self, concept_id: str) -> list[str]: ...
    def children(self, concept_id: str) -> list[str]: ...
    def ancestors(self, concept_id: str) -> set[str]: ...
    def descendants(self, concept_id: str) -> set[str]: ...
    def features(self, concept_id: str, include_descendants: bool = True) -> list[Feature]: ...
    def synonyms(self, concept_id: str) -> list[str]: ...
    def fsn(self, concept_id: str) -> str: ...
    def is_descendant(self, concept_id: str, of: str) -> bool: ...


def read_features(path: Path) -> dict[str, list[Feature]]:
    """Read features.tsv into {class concept id: [Feature]} (file order kept)."""
    if not path.exists():
        logger.warning("no features file at %s: classes will have no features", path)
        return {}
    out: dict[str, list[Feature]] = defaultdict(list)
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = set(FEATURE_COLUMNS) - set(reader.fieldnames or [])
        if missing:
            raise TerminologyError(f"{path}: missing columns {sorted(missing)}")
        for row in reader:
            if not row["class_concept_id"]:
                continue
            out[row["class_concept_id"].strip()].append(
                Feature(
                    row["class_concept_id"].strip(),
                    row["feature_concept_id"].strip(),
                    row["feature_kind"].strip(),
                    row["criterion"].strip(),
                    row["source"].strip(),
                    defining=(row.get("defining") or "").strip() in ("1", "true", "yes"),
                )
            )
    return dict(out)


class GraphTerminology:
    """Shared logic over an is-a graph held in memory; backends fill the tables."""

    def __init__(
        self, *, source: str, version: str, content_hash: str, features_path: Path | None = None
    ) -> None:
        self.source = source
        self.version = version
        self.content_hash = content_hash
        self._concepts: dict[str, Concept] = {}
        self._parents: dict[str, list[str]] = defaultdict(list)
        self._children: dict[str, list[str]] = defaultdict(list)
        self._index: dict[str, list[str]] = {}
        fpath = features_path if features_path is not None else knowledge_dir() / "features.tsv"
        self._features = read_features(fpath)
        self.features_path = fpath
        # a knowledge base that marks defining criteria must mark them for every class
        self.has_defining = any(f.defining for fs in self._features.values() for f in fs)

    # -- building -------------------------------------------------------------------------
    def _add_terms(self, descriptions: Iterable[tuple[str, str, str]]) -> None:
        fsn: dict[str, str] = {}
        syn: dict[str, list[str]] = defaultdict(list)
        for cid, type_id, term in descriptions:
            if type_id == FSN_TYPE:
                fsn[cid] = term
            else:
                syn[cid].append(term)
        for cid in list(self._concepts):
            self._concepts[cid] = Concept(
                cid,
                fsn.get(cid, (syn.get(cid) or [cid])[0]),
                tuple(dict.fromkeys(syn.get(cid, []))),
            )
        self._index = {}  # built on the first find()

    def _build_index(self) -> None:
        index: dict[str, list[str]] = defaultdict(list)
        for c in self._concepts.values():  # FSNs first so exact names rank before synonyms
            index[normalize_term(c.fsn)].append(c.id)
        for c in self._concepts.values():
            for s in c.synonyms:
                key = normalize_term(s)
                if c.id not in index[key]:
                    index[key].append(c.id)
        self._index = dict(index)

    def _add_is_a(self, pairs: Iterable[tuple[str, str]]) -> None:
        for src, dst in pairs:
            if src in self._concepts and dst in self._concepts and dst not in self._parents[src]:
                self._parents[src].append(dst)
                self._children[dst].append(src)
        for table in (self._parents, self._children):
            for k in table:
                table[k].sort(key=lambda c: self._concepts[c].fsn.lower())

    # -- queries --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._concepts)

    def __contains__(self, concept_id: object) -> bool:
        return concept_id in self._concepts

    def concept_ids(self) -> list[str]:
        """Every active concept id."""
        return list(self._concepts)

    def get(self, concept_id: str) -> Concept | None:
        """The concept or None."""
        return self._concepts.get(str(concept_id))

    def find(self, term: str) -> list[str]:
        """Concept ids whose FSN or synonym matches ``term`` after normalisation."""
        if not self._index and self._concepts:
            self._build_index()
        return list(self._index.get(normalize_term(term), []))

    def parents(self, concept_id: str) -> list[str]:
        return list(self._parents.get(concept_id, []))

    def children(self, concept_id: str) -> list[str]:
        return list(self._children.get(concept_id, []))

    def ancestors(self, concept_id: str) -> set[str]:
        """All is-a ancestors (transitive, excluding the concept)."""
        return self._closure(concept_id, self._parents)

    def descendants(self, concept_id: str) -> set[str]:
        """All is-a descendants (transitive, excluding the concept)."""
        return self._closure(concept_id, self._children)

    @staticmethod
    def _closure(start: str, edges: dict[str, list[str]]) -> set[str]:
        seen: set[str] = set()
        stack = list(edges.get(start, []))
        while stack:
            c = stack.pop()
            if c not in seen:
                seen.add(c)
                stack.extend(edges.get(c, []))
        seen.discard(start)
        return seen

    def is_descendant(self, concept_id: str, of: str) -> bool:
        return concept_id != of and concept_id in self.descendants(of)

    def descendant_depths(self, concept_id: str) -> dict[str, int]:
        """{descendant: shortest is-a distance below ``concept_id``} (breadth-first)."""
        out: dict[str, int] = {}
        frontier, depth = [concept_id], 0
        while frontier:
            depth += 1
            nxt = []
            for f in frontier:
                for c in self._children.get(f, []):
                    if c not in out and c != concept_id:
                        out[c] = depth
                        nxt.append(c)
            frontier = nxt
        return out

    def depth_below(self, concept_id: str, of: str) -> int:
        """Shortest is-a distance from ``of`` down to ``concept_id`` (0 if equal, -1 if none)."""
        if concept_id == of:
            return 0
        return self.descendant_depths(of).get(concept_id, -1)

    def synonyms(self, concept_id: str) -> list[str]:
        c = self.get(concept_id)
        return list(c.synonyms) if c else []

    def fsn(self, concept_id: str) -> str:
        c = self.get(concept_id)
        return c.fsn if c else ""

    def name(self, concept_id: str) -> str:
        c = self.get(concept_id)
        return c.name if c else ""

    def features(self, concept_id: str, include_descendants: bool = True) -> list[Feature]:
        """Features linked to the class (first) and, optionally, to its descendants."""
        ids = [concept_id]
        if include_descendants:  # nearest descendants first, then by name
            depths = self.descendant_depths(concept_id)
            ids += sorted(depths, key=lambda c: (depths[c], self.name(c), c))
        out: dict[str, Feature] = {}
        for cid in ids:
            for f in self._features.get(cid, []):
                if f.concept_id not in out:
                    out[f.concept_id] = Feature(
                        f.class_concept_id,
                        f.concept_id,
                        f.kind,
                        f.criterion,
                        f.source,
                        self.name(f.concept_id),
                        f.defining,
                    )
        return list(out.values())

    def feature_concepts(self) -> set[str]:
        """Every concept used as a feature anywhere in features.tsv."""
        return {f.concept_id for fs in self._features.values() for f in fs}


# -- RF2 ---------------------------------------------------------------------------------
# The columns of the RF2 snapshot files, per table: what build_pymedtermino_db copies and what
# knowledge/kbbuild/build.py writes for the bundled extract.
RF2_COLUMNS = {
    "Concept": ["id", "effectiveTime", "active", "moduleId", "definitionStatusId"],
    "Description": [
        "id",
        "effectiveTime",
        "active",
        "moduleId",
        "conceptId",
        "languageCode",
        "typeId",
        "term",
        "caseSignificanceId",
    ],
    "Relationship": [
        "id",
        "effectiveTime",
        "active",
        "moduleId",
        "sourceId",
        "destinationId",
        "relationshipGroup",
        "typeId",
        "characteristicTypeId",
        "modifierId",
    ],
}

_RF2_READ = {
    "sep": "\t",
    "dtype": str,
    "quoting": csv.QUOTE_NONE,
    "keep_default_na": False,
    "encoding": "utf-8",
}


def _rf2_file(folder: Path, kind: str) -> Path:
    hits = sorted(folder.glob(f"**/sct2_{kind}_Snapshot*.txt"))
    hits = [h for h in hits if "Stated" not in h.name]
    if not hits:
        raise TerminologyError(
            f"{folder}: no sct2_{kind}_Snapshot*.txt found (is it an RF2 "
            "release or knowledge/terminology folder?)"
        )
    if len(hits) > 1:
        logger.info(
            "several %s files under %s; reading all: %s", kind, folder, [h.name for h in hits]
        )
    return hits[0] if len(hits) == 1 else hits  # type: ignore[return-value]


def _read_rf2(paths: Path | list[Path], usecols: list[str]) -> pd.DataFrame:
    frames = []
    for p in paths if isinstance(paths, list) else [paths]:
        try:
            frames.append(pd.read_csv(p, usecols=usecols, **_RF2_READ))
        except ValueError as exc:
            raise TerminologyError(f"{p}: {exc}") from exc
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return df[df["active"] == "1"]


def _files_hash(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode())
        with p.open("rb") as fh:
            while block := fh.read(1 << 20):
                h.update(block)
    return h.hexdigest()[:16]


class RF2Terminology(GraphTerminology):
    """An RF2 snapshot folder: the bundled extract or a licensed SNOMED CT release."""

    def __init__(self, folder: Path, features_path: Path | None = None) -> None:
        folder = Path(folder)
        if not folder.is_dir():
            raise TerminologyError(f"{folder}: terminology folder does not exist")
        cfile = _rf2_file(folder, "Concept")
        dfile = _rf2_file(folder, "Description")
        rfile = _rf2_file(folder, "Relationship")
        files = [f for x in (cfile, dfile, rfile) for f in (x if isinstance(x, list) else [x])]
        fpath = features_path if features_path is not None else knowledge_dir() / "features.tsv"
        hashed = files + ([fpath] if fpath.exists() else [])
        m = re.search(r"_([A-Za-z0-9]+)_(\d{8})\.txt$", files[0].name)
        version = f"{m.group(1)} {m.group(2)}" if m else files[0].stem
        super().__init__(
            source=f"rf2:{folder}",
            version=version,
            content_hash=_files_hash(hashed),
            features_path=fpath,
        )
        concepts = _read_rf2(cfile, ["id", "active"])
        self._concepts = {cid: Concept(cid, cid) for cid in concepts["id"]}
        desc = _read_rf2(dfile, ["conceptId", "active", "typeId", "term"])
        self._add_terms(zip(desc["conceptId"], desc["typeId"], desc["term"], strict=True))
        rel = _read_rf2(rfile, ["sourceId", "destinationId", "active", "typeId"])
        rel = rel[rel["typeId"] == IS_A]
        self._add_is_a(zip(rel["sourceId"], rel["destinationId"], strict=True))
        logger.info("loaded %d concepts from %s (%s)", len(self._concepts), folder, version)


# -- pymedtermino ------------------------------------------------------------------------
class PyMedTerminoTerminology(GraphTerminology):
    """pymedtermino's SNOMED CT database (``snomedct.sqlite3`` in ``data_dir``).

    pymedtermino opens its database at import time from ``PYMEDTERMINO_DATA_DIR``; so one
    process can use one pymedtermino database. Concepts reachable from the class concepts
    are walked through pymedtermino's own API (``parents``/``children``/``terms``).
    """

    def __init__(self, data_dir: Path | None = None, features_path: Path | None = None) -> None:
        if data_dir is not None:
            db = Path(data_dir) / "snomedct.sqlite3"
            if not db.exists():
                raise TerminologyError(
                    f"{db}: pymedtermino SNOMED CT database not found "
                    "(build it with ckepe.pmt_db.build_pymedtermino_db)"
                )
            os.environ["PYMEDTERMINO_DATA_DIR"] = str(data_dir)
        try:
            import pymedtermino

            if data_dir is not None:
                pymedtermino.DATA_DIR = str(data_dir)
            from pymedtermino.snomedct import SNOMEDCT
        except (ImportError, OSError) as exc:
            raise TerminologyError(f"pymedtermino SNOMED CT unavailable: {exc}") from exc
        dbfile = Path(pymedtermino.DATA_DIR) / "snomedct.sqlite3"
        super().__init__(
            source=f"pymedtermino:{dbfile.parent}",
            version=f"pymedtermino {getattr(pymedtermino, 'VERSION', '0.3.3')}",
            content_hash=_files_hash([dbfile]),
            features_path=features_path,
        )
        self._sct = SNOMEDCT
        self._load_all()

    def _load_all(self) -> None:
        import pymedtermino.snomedct as pmt

        pmt.db_cursor.execute("SELECT id FROM Concept WHERE active=1")
        ids = [str(r[0]) for r in pmt.db_cursor.fetchall()]
        self._concepts = {cid: Concept(cid, cid) for cid in ids}
        triples: list[tuple[str, str, str]] = []
        pairs: list[tuple[str, str]] = []
        for cid in ids:
            concept = self._sct[int(cid)]
            triples.append((cid, FSN_TYPE, concept.term))
            triples += [(cid, SYNONYM_TYPE, t) for t in concept.terms if t != concept.term]
            pairs += [(cid, str(p.code)) for p in concept.parents]
        self._add_terms(triples)
        self._add_is_a(pairs)


@lru_cache(maxsize=8)
def _load_cached(spec: str, features: str) -> GraphTerminology:
    fpath = Path(features) if features else None
    if spec.startswith("pymedtermino:"):
        rest = spec.split(":", 1)[1]
        return PyMedTerminoTerminology(Path(rest) if rest else None, fpath)
    return RF2Terminology(Path(spec), fpath)


def load_terminology(
    path: str | Path | None = None, features_path: str | Path | None = None
) -> GraphTerminology:
    """Load a terminology: the bundled extract (None), an RF2 folder, or ``pymedtermino:[DIR]``."""
    spec = str(path) if path is not None else str(knowledge_dir() / "terminology")
    if not spec.startswith("pymedtermino:"):
        spec = str(Path(spec).resolve())
    return _load_cached(spec, str(features_path) if features_path else "")


def build_pymedtermino_db(rf2_folder: Path, out_dir: Path) -> Path:
    """Write ``snomedct.sqlite3`` in the schema pymedtermino 0.3.3's SNOMED CT module reads.

    pymedtermino's wheel does not ship its RF2 importer script (it lives in the source
    distribution only), so this writes the tables its queries use: ``Concept``,
    ``Description``, ``Relationship`` and the full-text index ``Description_fts``.
    """
    import sqlite3

    folder, out_dir = Path(rf2_folder), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "snomedct.sqlite3"
    tmp = out_dir / ".snomedct.sqlite3.tmp"
    tmp.unlink(missing_ok=True)
    text_cols = {"term", "languageCode", "effectiveTime"}
    with sqlite3.connect(tmp) as db:
        for table, names in RF2_COLUMNS.items():
            decl = ", ".join(f"{n} {'TEXT' if n in text_cols else 'INTEGER'}" for n in names)
            extra = ", is_in_core INTEGER DEFAULT 0" if table == "Concept" else ""
            db.execute(f"CREATE TABLE {table} ({decl}{extra})")
            src = _rf2_file(folder, table)
            insert = (
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
            )
            for p in src if isinstance(src, list) else [src]:  # chunks: a full release is big
                for df in pd.read_csv(p, usecols=names, chunksize=200_000, **_RF2_READ):
                    db.executemany(insert, df[names].itertuples(index=False, name=None))
        db.execute("CREATE INDEX concept_id ON Concept(id)")
        db.execute("CREATE INDEX desc_concept ON Description(conceptId)")
        db.execute("CREATE INDEX rel_source ON Relationship(sourceId)")
        db.execute("CREATE INDEX rel_dest ON Relationship(destinationId)")
        db.execute("CREATE VIRTUAL TABLE Description_fts USING fts4(term)")
        db.execute("INSERT INTO Description_fts (docid, term) SELECT id, term FROM Description")
    os.replace(tmp, target)
    return target
