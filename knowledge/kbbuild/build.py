"""Emit the knowledge base (RF2-style extract, features.tsv, label sets) from knowledge/kbbuild.

Usage: ``python -m knowledge.kbbuild.build`` (writes) or
``python -m knowledge.kbbuild.build --check`` (exits 1 when the committed files differ from
what the sources generate). Output is deterministic: identifiers come from ``ids.tsv``
(append-only; new keys get the next item id).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# the reader's column lists and feature kinds, one copy each (ckepe reads what this writes)
from ckepe.terminology import FEATURE_COLUMNS, FEATURE_KINDS, RF2_COLUMNS
from knowledge.kbbuild.concepts import CONCEPT_TABLE
from knowledge.kbbuild.features import FEATURE_CONCEPT_TABLE, FEATURE_TABLE
from knowledge.kbbuild.labelsets import CPSC2018, CSN, PTBXL, PTBXL_ALL, SYNTHETIC
from knowledge.kbbuild.members import MEMBER_TABLE
from knowledge.kbbuild.report_terms import REPORT_TERM_TABLE

logger = logging.getLogger(__name__)

KNOWLEDGE = Path(__file__).resolve().parent.parent
IDS_FILE = Path(__file__).resolve().parent / "ids.tsv"
RELEASE = "20261129"
NAMESPACE = "9999999"  # unregistered placeholder namespace, see terminology/README.md
FSN_TYPE = "900000000000003001"
SYNONYM_TYPE = "900000000000013009"
ISA_TYPE = "116680003"
PRIMITIVE = "900000000000074008"
CASE_INSENSITIVE = "900000000000448009"
CASE_SENSITIVE = "900000000000017005"
INFERRED = "900000000000011006"
EXISTENTIAL = "900000000000451002"
MAPPINGS = {"exact", "closest", "group"}
MAX_DEFINING = 3
TASKS = {"super", "sub", "form", "rhythm", "all", "default"}
_PARTITION = {"concept": "10", "description": "11", "relationship": "12"}

# Verhoeff check digit tables (SNOMED CT identifiers end with a Verhoeff check digit).
_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]
_INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


class KnowledgeError(ValueError):
    """The knowledge sources are inconsistent."""


def verhoeff_digit(number: str) -> str:
    """Verhoeff check digit for a string of digits."""
    c = 0
    for i, ch in enumerate(reversed(number)):
        c = _D[c][_P[(i + 1) % 8][int(ch)]]
    return str(_INV[c])


def verhoeff_valid(sctid: str) -> bool:
    """True when the last digit of ``sctid`` is its Verhoeff check digit."""
    return sctid.isdigit() and verhoeff_digit(sctid[:-1]) == sctid[-1]


def extension_id(item: int, kind: str, namespace: str = NAMESPACE) -> str:
    """Long-form extension identifier: item + namespace + partition + check digit."""
    body = f"{item}{namespace}{_PARTITION[kind]}"
    return body + verhoeff_digit(body)


@dataclass
class Concept:
    """One concept of the source tables."""

    key: str
    sctid: str | None
    fsn: str
    parents: list[str]
    synonyms: list[str]
    active: bool = True
    features: list[tuple[str, str, str, str]] = field(default_factory=list)


def _rows(table: str, ncols: int, what: str) -> Iterable[list[str]]:
    for n, line in enumerate(table.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split("|")]
        parts += [""] * (ncols - len(parts))
        if len(parts) != ncols:
            raise KnowledgeError(f"{what} line {n}: expected {ncols} fields: {line!r}")
        yield parts


def parse_concepts(*tables: str) -> dict[str, Concept]:
    """Parse concept tables into ``{key: Concept}``."""
    out: dict[str, Concept] = {}
    for table in tables:
        for key, sctid, fsn, parents, syns in _rows(table, 5, "concept table"):
            active = not key.startswith("!")
            key = key.lstrip("!")
            if key in out:
                raise KnowledgeError(f"duplicate concept key {key}")
            if not re.search(r"\(([a-z ]+)\)$", fsn):
                raise KnowledgeError(f"{key}: FSN without semantic tag: {fsn!r}")
            if sctid != "-" and not verhoeff_valid(sctid):
                raise KnowledgeError(f"{key}: {sctid} fails the Verhoeff check")
            out[key] = Concept(
                key,
                None if sctid == "-" else sctid,
                fsn,
                parents.split(),
                [s.strip() for s in syns.split(";") if s.strip()],
                active,
            )
    for c in out.values():
        for p in c.parents:
            if p not in out:
                raise KnowledgeError(f"{c.key}: unknown parent {p}")
    return out


def load_ids() -> dict[str, int]:
    """The append-only identifier registry ``{registry key: item id}``."""
    if not IDS_FILE.exists():
        return {}
    ids = {}
    for line in IDS_FILE.read_text(encoding="utf-8").splitlines()[1:]:
        item, key = line.split("\t", 1)
        ids[key] = int(item)
    return ids


class IdAllocator:
    """Hands out stable item ids from the registry, appending new keys."""

    def __init__(self, ids: dict[str, int]) -> None:
        self.ids = dict(ids)
        self.next = max(self.ids.values(), default=0) + 1

    def get(self, key: str, kind: str) -> str:
        if key not in self.ids:
            self.ids[key] = self.next
            self.next += 1
        return extension_id(self.ids[key], kind)

    def text(self) -> str:
        rows = sorted(self.ids.items(), key=lambda kv: kv[1])
        return "item\tkey\n" + "".join(f"{i}\t{k}\n" for k, i in rows)


def _is_abbreviation(term: str) -> bool:
    return " " not in term and len(term) <= 10 and any(ch.isupper() for ch in term[1:])


def _tsv(header: list[str], rows: Iterable[list[str]]) -> str:
    lines = ["\t".join(header)] + ["\t".join(r) for r in rows]
    for line in lines:
        if line.count("\t") != len(header) - 1:
            raise KnowledgeError(f"tab or wrong field count in row: {line!r}")
    return "\n".join(lines) + "\n"


def build_terminology(concepts: dict[str, Concept], alloc: IdAllocator) -> dict[str, str]:
    """RF2 snapshot files (name -> text) and set ``concept_id`` on every concept."""
    cid = {k: c.sctid or alloc.get(k, "concept") for k, c in concepts.items()}
    module = cid["MODULE"]
    crow, drow, rrow = [], [], []
    fsns: set[str] = set()
    for key, c in concepts.items():
        crow.append([cid[key], RELEASE, "1" if c.active else "0", module, PRIMITIVE])
        if c.active and c.fsn.lower() in fsns:
            raise KnowledgeError(f"{key}: FSN not unique: {c.fsn}")
        fsns.add(c.fsn.lower())
        drow.append(
            [
                alloc.get(f"{key}|FSN", "description"),
                RELEASE,
                "1",
                module,
                cid[key],
                "en",
                FSN_TYPE,
                c.fsn,
                CASE_INSENSITIVE,
            ]
        )
        pt = re.sub(r"\s*\([a-z ]+\)$", "", c.fsn)
        seen: set[str] = set()
        for term in [pt, *c.synonyms]:
            if term.lower() in seen:
                continue
            seen.add(term.lower())
            case = CASE_SENSITIVE if _is_abbreviation(term) else CASE_INSENSITIVE
            drow.append(
                [
                    alloc.get(f"{key}|SYN|{term}", "description"),
                    RELEASE,
                    "1",
                    module,
                    cid[key],
                    "en",
                    SYNONYM_TYPE,
                    term,
                    case,
                ]
            )
        for p in c.parents:
            rrow.append(
                [
                    alloc.get(f"{key}>{p}", "relationship"),
                    RELEASE,
                    "1",
                    module,
                    cid[key],
                    cid[p],
                    "0",
                    ISA_TYPE,
                    INFERRED,
                    EXISTENTIAL,
                ]
            )
    for c in concepts.values():
        c.sctid = cid[c.key]
    return {
        f"sct2_Concept_Snapshot_ECGX_{RELEASE}.txt": _tsv(RF2_COLUMNS["Concept"], crow),
        f"sct2_Description_Snapshot-en_ECGX_{RELEASE}.txt": _tsv(RF2_COLUMNS["Description"], drow),
        f"sct2_Relationship_Snapshot_ECGX_{RELEASE}.txt": _tsv(RF2_COLUMNS["Relationship"], rrow),
    }


def check_hierarchy(concepts: dict[str, Concept]) -> None:
    """Every active concept reaches ROOT through active parents, without cycles."""
    state: dict[str, int] = {}

    def visit(key: str, path: tuple[str, ...]) -> None:
        if state.get(key) == 2:
            return
        if key in path:
            raise KnowledgeError(f"is-a cycle: {' > '.join((*path, key))}")
        for p in concepts[key].parents:
            if not concepts[p].active:
                raise KnowledgeError(f"{key}: parent {p} is inactive")
            visit(p, (*path, key))
        if key != "ROOT" and not concepts[key].parents:
            raise KnowledgeError(f"{key}: active concept without parent")
        state[key] = 2

    for key, c in concepts.items():
        if c.active:
            visit(key, ())


def source_keys(path: Path) -> set[str]:
    """Source keys defined in SOURCES.md (lines starting with ``- **Snn**``)."""
    return set(re.findall(r"^- \*\*(S\d+)\*\*", path.read_text(encoding="utf-8"), re.M))


def build_features(concepts: dict[str, Concept], sources: set[str]) -> str:
    """features.tsv text; validates keys, kinds, sources, defining marks and the ECG-finding
    placement (a class concept has at most ``MAX_DEFINING`` defining criteria)."""
    rows, seen = [], set()
    defining: dict[str, int] = {}
    for cls, feat, kind, criterion, src, mark in _rows(FEATURE_TABLE, 6, "feature table"):
        for k in (cls, feat):
            if k not in concepts:
                raise KnowledgeError(f"features: unknown concept key {k}")
        if kind not in FEATURE_KINDS:
            raise KnowledgeError(f"features: {cls}/{feat}: bad feature_kind {kind}")
        if src not in sources:
            raise KnowledgeError(f"features: {cls}/{feat}: source {src} not in SOURCES.md")
        if mark not in ("", "D"):
            raise KnowledgeError(f"features: {cls}/{feat}: mark {mark!r} is not 'D' or empty")
        if not _descends(concepts, feat, "ECGF"):
            raise KnowledgeError(f"features: {feat} is not under the ECG finding root")
        if (cls, feat) in seen:
            raise KnowledgeError(f"features: duplicate link {cls} -> {feat}")
        seen.add((cls, feat))
        defining[cls] = defining.get(cls, 0) + (mark == "D")
        rows.append(
            [
                concepts[cls].sctid or "",
                concepts[feat].sctid or "",
                kind,
                criterion,
                src,
                "1" if mark == "D" else "0",
            ]
        )
    too_many = sorted(k for k, n in defining.items() if n > MAX_DEFINING)
    if too_many:
        raise KnowledgeError(f"features: more than {MAX_DEFINING} defining criteria: {too_many}")
    return _tsv([*FEATURE_COLUMNS, "defining"], rows)


def check_defining(concepts: dict[str, Concept], *tables: str) -> None:
    """Every concept a label maps to has 1-3 defining criteria (features.tsv ``defining``)."""
    marked = {
        cls for cls, _f, _k, _c, _s, mark in _rows(FEATURE_TABLE, 6, "feature table") if mark == "D"
    }
    missing = set()
    for table in tables:
        for parts in _rows(
            table, 6 if table.lstrip().split("|", 1)[0].strip() in TASKS else 5, "labelset"
        ):
            missing |= {k for k in parts[-4].split() if k not in marked and not k.startswith("-")}
    if missing:
        raise KnowledgeError(f"labelset concepts without a defining criterion: {sorted(missing)}")


def _descends(concepts: dict[str, Concept], key: str, root: str) -> bool:
    todo, seen = [key], set()
    while todo:
        k = todo.pop()
        if k == root:
            return True
        if k not in seen:
            seen.add(k)
            todo.extend(concepts[k].parents)
    return False


def build_labelset(concepts: dict[str, Concept], table: str, task: str | None = None) -> str:
    """One labelset TSV; ``task`` given means the table has no task column."""
    rows = []
    ncols = 5 if task else 6
    for parts in _rows(table, ncols, "labelset"):
        if task:
            parts = [task, *parts]
        t, label, keys, name, mapping, note = parts
        if mapping not in MAPPINGS:
            raise KnowledgeError(f"labelset {t}/{label}: bad mapping {mapping}")
        ids, cut = [], []
        for k in keys.split():
            key = k.removeprefix("-")  # "-KEY": a descendant the dataset does not file here
            if key not in concepts or not concepts[key].active:
                raise KnowledgeError(f"labelset {t}/{label}: unknown or inactive concept {key}")
            (cut if k.startswith("-") else ids).append(key)
        for key in cut:
            if not any(key != c and _descends(concepts, key, c) for c in ids):
                raise KnowledgeError(
                    f"labelset {t}/{label}: excluded concept {key} is not below {' '.join(ids)}"
                )
        rows.append([t, label, ";".join(concepts[k].sctid or "" for k in ids), name, mapping,
                     note, ";".join(concepts[k].sctid or "" for k in cut)])  # fmt: skip
    return _tsv(["task", "label", "concept_ids", "name", "mapping", "note", "excluded_ids"], rows)


REPORT_TERM_COLUMNS = ["concept_id", "term", "source"]
MEMBER_COLUMNS = [
    "dataset", "task", "label", "member_concept_id", "member_name", "member_records",
    "label_records", "source",
]  # fmt: skip


def add_report_terms(concepts: dict[str, Concept], sources: set[str]) -> list[tuple[str, str, str]]:
    """Validate REPORT_TERM_TABLE and add each term to its concept's synonyms (a report term
    grounds like any other name of the concept); returns its (key, term, source) rows."""
    rows = []
    for key, term, src in _rows(REPORT_TERM_TABLE, 3, "report term table"):
        if key not in concepts or not concepts[key].active:
            raise KnowledgeError(f"report terms: unknown or inactive concept key {key}")
        if src not in sources:
            raise KnowledgeError(f"report terms: {key}/{term}: source {src} not in SOURCES.md")
        c = concepts[key]
        pt = re.sub(r"\s*\([a-z ]+\)$", "", c.fsn)
        if term.lower() not in {t.lower() for t in (pt, *c.synonyms)}:
            c.synonyms.append(term)
        rows.append((key, term, src))
    return rows


def build_report_terms(concepts: dict[str, Concept], rows: list[tuple[str, str, str]]) -> str:
    return _tsv(REPORT_TERM_COLUMNS, ([concepts[k].sctid or "", t, s] for k, t, s in rows))


def build_members(concepts: dict[str, Concept], sources: set[str]) -> str:
    out = []
    for ds, task, label, key, n, total, src in _rows(MEMBER_TABLE, 7, "member table"):
        if key not in concepts:
            raise KnowledgeError(f"members: {ds}/{label}: unknown concept key {key}")
        if src not in sources:
            raise KnowledgeError(f"members: {ds}/{label}: source {src} not in SOURCES.md")
        if not (n.isdigit() and total.isdigit() and int(n) <= int(total)):
            raise KnowledgeError(f"members: {ds}/{label}/{key}: bad counts {n}/{total}")
        name = re.sub(r"\s*\([a-z ]+\)$", "", concepts[key].fsn)
        out.append([ds, task, label, concepts[key].sctid or "", name, n, total, src])
    return _tsv(MEMBER_COLUMNS, out)


def generate() -> tuple[dict[str, str], str]:
    """All output files (path relative to knowledge/ -> text) and the new id registry."""
    concepts = parse_concepts(CONCEPT_TABLE, FEATURE_CONCEPT_TABLE)
    check_hierarchy(concepts)
    alloc = IdAllocator(load_ids())
    sources = source_keys(KNOWLEDGE / "SOURCES.md")
    report_rows = add_report_terms(concepts, sources)
    files = {f"terminology/{n}": t for n, t in build_terminology(concepts, alloc).items()}
    files["report_terms.tsv"] = build_report_terms(concepts, report_rows)
    files["members.tsv"] = build_members(concepts, sources)
    files["features.tsv"] = build_features(concepts, source_keys(KNOWLEDGE / "SOURCES.md"))
    check_defining(concepts, PTBXL, PTBXL_ALL, CPSC2018, CSN, SYNTHETIC)
    files["labelsets/ptbxl.tsv"] = build_labelset(concepts, PTBXL) + "".join(
        build_labelset(concepts, PTBXL_ALL, "all").splitlines(keepends=True)[1:]
    )
    files["labelsets/cpsc2018.tsv"] = build_labelset(concepts, CPSC2018)
    files["labelsets/csn.tsv"] = build_labelset(concepts, CSN)
    files["labelsets/synthetic.tsv"] = build_labelset(concepts, SYNTHETIC)
    return files, alloc.text()


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)  # mkstemp creates 0600; these are shared, read-only data files
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) the generated knowledge files."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare instead of writing")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        files, ids = generate()
    except KnowledgeError as exc:
        logger.error("knowledge/kbbuild: %s", exc)
        return 2
    files_all = {**{str(KNOWLEDGE / k): v for k, v in files.items()}, str(IDS_FILE): ids}
    if args.check:
        stale = [
            p
            for p, t in files_all.items()
            if not Path(p).exists() or Path(p).read_text(encoding="utf-8") != t
        ]
        for p in stale:
            logger.error("out of date: %s (run python -m knowledge.kbbuild.build)", p)
        return 1 if stale else 0
    for p, t in files_all.items():
        _write_atomic(Path(p), t)
    logger.info("wrote %d files under %s", len(files_all), KNOWLEDGE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
