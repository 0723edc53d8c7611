"""Derive the report vocabulary and the member counts from the public data (run by hand).

The knowledge build never reads the data: it reads the tables this module prints into
``report_terms.py`` (facts with their source key) and ``members.py`` (counts). Re-derive them
with ``python -m knowledge.kbbuild.report_data --data ../shared/data`` and review the diff.

- report terms: the words ECG reports and machine statements use for a concept, from
  PTB-XL's statement descriptions (S02, ``scp_statements.csv``: the ``description`` and
  ``SCP-ECG Statement Description`` columns, exact label-set mappings only), the PhysioNet
  Challenge 2021 diagnosis names (S01, ``dx_mapping_*.csv``, by SNOMED CT code) and the
  Chapman-Shaoxing condition table (S03, ``ConditionNames_SNOMED-CT.csv``, by code). A code
  that several concepts carry gives no term; full names with the table's spelling slips are
  kept out (``_SLIP``).
- members: for each label, how many of its positive training records carry each narrower
  label (S04, the published MERL split files, training split only: the test split is never
  read): PTB-XL superclasses by the subclass file (joined on ``ecg_id``), CSN labels by the
  acronyms of the ``diagnose`` column whose code is a strict subtype of the label's concept.
"""

from __future__ import annotations

import argparse
import ast
import csv
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from ckepe.normalize import normalize_term
from knowledge.kbbuild.build import parse_concepts
from knowledge.kbbuild.concepts import CONCEPT_TABLE
from knowledge.kbbuild.features import FEATURE_CONCEPT_TABLE
from knowledge.kbbuild.labelsets import CSN, PTBXL, PTBXL_ALL

_SLIP = re.compile(
    r"infraction|infgraction|colockwise|countercolockwise|atrioventricalualr"
    r"|interior differences|escape trigeminy",
    re.I,
)
_TERM_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 '\-/.+]*$")  # no parentheses, commas, fragments


def _table_rows(table: str) -> list[list[str]]:
    out = []
    for line in table.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            out.append([p.strip() for p in line.split("|")])
    return out


def _code_index() -> tuple[dict[str, list[str]], dict[str, str]]:
    concepts = parse_concepts(CONCEPT_TABLE, FEATURE_CONCEPT_TABLE)
    by_code: dict[str, list[str]] = defaultdict(list)
    for k, c in concepts.items():
        if c.sctid and c.active:
            by_code[c.sctid].append(k)
    return by_code, {k: c.fsn for k, c in concepts.items()}


def report_terms(data: Path) -> list[tuple[str, str, str]]:
    """(concept key, term, source key) rows, in source order, deduplicated per concept."""
    by_code, _ = _code_index()
    rows: list[tuple[str, str, str]] = []
    ptb = {r[0]: r for r in _table_rows(PTBXL_ALL)}
    with open(data / "ptbxl-sample" / "scp_statements.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            key = r[""].strip()
            lab = ptb.get(key)
            if not lab or lab[3] != "exact" or len(lab[1].split()) != 1:
                continue
            for col in ("description", "SCP-ECG Statement Description"):
                rows.append((lab[1], r[col].strip(), "S02"))
    for name in ("dx_mapping_scored.csv", "dx_mapping_unscored.csv"):
        with open(data / "challenge2021-sample" / name, encoding="utf-8") as f:
            for r in csv.DictReader(f):
                keys = by_code.get(r["SNOMEDCTCode"].strip(), [])
                if len(keys) == 1:
                    rows.append((keys[0], r["Dx"].strip(), "S01"))
    with open(data / "chapman-shaoxing" / "ConditionNames_SNOMED-CT.csv", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    per_code = Counter(r["Snomed_CT"].strip() for r in table)
    for r in table:  # a code several acronyms share (LBBB/LBBBB/LFBBB, the MI sites) is ambiguous
        code = r["Snomed_CT"].strip()
        keys = by_code.get(code, [])
        if len(keys) == 1 and per_code[code] == 1 and not _SLIP.search(r["FullName"]):
            rows.append((keys[0], r["FullName"].strip(), "S03"))
    names = _names()
    seen: set[tuple[str, str]] = set()
    out = []
    for k, t, s in rows:
        t = " ".join(t.split())
        if not t or not _TERM_OK.match(t) or t.lower().startswith("in ") or (k, t.lower()) in seen:
            continue
        if " " not in t and t.isupper():  # an abbreviation (WPW), not report wording
            continue
        if names.get(normalize_term(t), k) != k:  # names another concept
            continue
        seen.add((k, t.lower()))
        out.append((k, t, s))
    return out


def _names() -> dict[str, str]:
    """normalised name or synonym → concept key (the first concept that carries it)."""
    concepts = parse_concepts(CONCEPT_TABLE, FEATURE_CONCEPT_TABLE)
    out: dict[str, str] = {}
    for k, c in concepts.items():
        pt = re.sub(r"\s*\([a-z ]+\)$", "", c.fsn)
        for t in (pt, *c.synonyms):
            out.setdefault(normalize_term(t), k)
    return out


def _descendants(parents: dict[str, list[str]], root: str) -> set[str]:
    kids: dict[str, set[str]] = defaultdict(set)
    for k, ps in parents.items():
        for p in ps:
            kids[p].add(k)
    out, todo = set(), [root]
    while todo:
        for c in kids[todo.pop()]:
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def members(data: Path) -> list[tuple[str, str, str, str, int, int]]:
    """(dataset, task, label, member concept key, records, label's records) rows."""
    concepts = parse_concepts(CONCEPT_TABLE, FEATURE_CONCEPT_TABLE)
    parents = {k: c.parents for k, c in concepts.items()}
    out: list[tuple[str, str, str, str, int, int]] = []
    splits = data / "merl-splits"
    # PTB-XL superclasses: the subclasses of their positive training records
    sub_of = {r[1]: r[2].split()[0] for r in _table_rows(PTBXL) if r[0] == "sub"}
    sup = {
        r["ecg_id"]: r
        for r in csv.DictReader(open(splits / "ptbxl/super_class/ptbxl_super_class_train.csv"))
    }
    subs = {
        r["ecg_id"]: ast.literal_eval(r["sub_class"])
        for r in csv.DictReader(open(splits / "ptbxl/sub_class/ptbxl_sub_class_train.csv"))
    }
    for row in _table_rows(PTBXL):
        if row[0] != "super" or row[1] == "NORM":
            continue
        label = row[1]
        pos = [e for e, r in sup.items() if r.get(label) == "1"]
        below = set().union(
            *(_descendants(parents, k) | {k} for k in row[2].split() if k[0] != "-")
        )
        cnt: Counter[str] = Counter()
        for e in pos:
            for s in subs.get(e, []):
                k = sub_of.get(s)
                if k and k in below:
                    cnt[k] += 1
        out += [("ptbxl", "super", label, k, n, len(pos)) for k, n in cnt.most_common()]
    # CSN: acronyms of the diagnose column that are strict subtypes of the label's concept
    by_code, _ = _code_index()
    acr = {}
    with open(data / "chapman-shaoxing" / "ConditionNames_SNOMED-CT.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            keys = by_code.get(r["Snomed_CT"].strip(), [])
            if len(keys) == 1:
                acr[r["AcronymName"].strip()] = keys[0]
    rows = list(csv.DictReader(open(splits / "chapman/chapman_train.csv")))
    for row in _table_rows(CSN):
        label, keys = row[1], [k for k in row[2].split() if k[0] != "-"]
        below = set().union(*(_descendants(parents, k) for k in keys)) - set(keys)
        pos = [r for r in rows if r.get(label) == "1"]
        cnt = Counter()
        for r in pos:
            for a in {a.strip() for a in r["diagnose"].split(",")}:
                if acr.get(a) in below:
                    cnt[acr[a]] += 1
        out += [("csn", "default", label, k, n, len(pos)) for k, n in cnt.most_common()]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    a = ap.parse_args(argv)
    w = sys.stdout.write
    w("# report_terms.py REPORT_TERM_TABLE\n")
    for k, t, s in report_terms(a.data):
        w(f"{k} | {t} | {s}\n")
    w("# members.py MEMBER_TABLE\n")
    for d, task, lab, k, n, tot in members(a.data):
        w(f"{d} | {task} | {lab} | {k} | {n} | {tot} | S04\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
