"""The knowledge base files (knowledge/): read with csv/pandas only, checked against the data."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
TERMINOLOGY = KNOWLEDGE / "terminology"
FSN = "900000000000003001"
SYNONYM = "900000000000013009"
ISA = "116680003"
# Abbreviations with different meanings across datasets: only label sets may map them.
AMBIGUOUS = {
    "AF",
    "ST",
    "PR",
    "CD",
    "STE",
    "AMI",
    "VEB",
    "SA",
    "AT",
    "AB",
    "AP",
    "VB",
    "CR",
    "FB",
    "IR",
    "TWO",
    "UW",
}
PTBXL_TASKS = {"super_class": "super", "sub_class": "sub", "form": "form", "rhythm": "rhythm"}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE)


def _rf2(kind: str) -> pd.DataFrame:
    (path,) = TERMINOLOGY.glob(f"sct2_{kind}_Snapshot*_ECGX_*.txt")
    return _read(path)


@pytest.fixture(scope="module")
def kb() -> dict:
    concepts = _rf2("Concept")
    desc = _rf2("Description")
    rel = _rf2("Relationship")
    active = set(concepts.loc[concepts.active == "1", "id"])
    desc = desc[(desc.active == "1") & desc.conceptId.isin(active)]
    terms: dict[str, set[str]] = defaultdict(set)
    fsn: dict[str, list[str]] = defaultdict(list)
    for row in desc.itertuples():
        if row.typeId == FSN:
            fsn[row.conceptId].append(row.term)
            terms[row.conceptId].add(re.sub(r"\s*\([a-z ]+\)$", "", row.term).lower())
        else:
            terms[row.conceptId].add(row.term.lower())
    parents: dict[str, set[str]] = defaultdict(set)
    isa = rel[(rel.active == "1") & (rel.typeId == ISA)]
    for row in isa.itertuples():
        parents[row.sourceId].add(row.destinationId)
    children: dict[str, set[str]] = defaultdict(set)
    for c, ps in parents.items():
        for p in ps:
            children[p].add(c)
    feats = _read(KNOWLEDGE / "features.tsv")
    labelsets = {
        n: _read(KNOWLEDGE / "labelsets" / f"{n}.tsv")
        for n in ("ptbxl", "cpsc2018", "csn", "synthetic")
    }
    return {
        "concepts": concepts,
        "active": active,
        "desc": desc,
        "terms": terms,
        "fsn": fsn,
        "parents": parents,
        "children": children,
        "features": feats,
        "labelsets": labelsets,
    }


def _descendants(kb: dict, cid: str) -> set[str]:
    out, todo = set(), [cid]
    while todo:
        for ch in kb["children"][todo.pop()]:
            if ch not in out:
                out.add(ch)
                todo.append(ch)
    return out


def _ancestors(kb: dict, cid: str) -> set[str]:
    out, todo = set(), [cid]
    while todo:
        for p in kb["parents"][todo.pop()]:
            if p not in out:
                out.add(p)
                todo.append(p)
    return out


def _root(kb: dict) -> str:
    roots = [c for c in kb["active"] if not kb["parents"][c]]
    assert len(roots) == 1, f"expected one root, got {roots}"
    return roots[0]


def _fsn_of(kb: dict, cid: str) -> str:
    return kb["fsn"][cid][0]


def test_challenge_codes_exist_with_their_names(kb: dict, challenge_root: Path) -> None:
    seen = 0
    for name in ("dx_mapping_scored.csv", "dx_mapping_unscored.csv"):
        for row in csv.DictReader(open(challenge_root / name, encoding="utf-8-sig")):
            code = row["SNOMEDCTCode"]
            assert code in kb["active"], f"{name}: {code} ({row['Dx']}) missing"
            assert row["Dx"].lower() in kb["terms"][code], f"{code}: name {row['Dx']!r} absent"
            seen += 1
    assert seen == 133


def test_each_active_concept_has_one_fsn_with_tag_and_fsns_are_unique(kb: dict) -> None:
    all_fsn = []
    for cid in kb["active"]:
        assert len(kb["fsn"][cid]) == 1, f"{cid}: {kb['fsn'][cid]}"
        assert re.search(r"\([a-z ]+\)$", kb["fsn"][cid][0])
        all_fsn.append(kb["fsn"][cid][0].lower())
    assert len(all_fsn) == len(set(all_fsn))


def test_ids_have_valid_check_digits_and_extension_ids_use_the_namespace(kb: dict) -> None:
    from knowledge.kbbuild.build import NAMESPACE, verhoeff_valid

    for table in (kb["concepts"].id, kb["desc"].id):
        for sctid in table:
            assert verhoeff_valid(sctid), sctid
            if sctid[-3] == "1":  # long form: extension identifiers
                # 1000119 = US edition: two left/right atrial codes of the challenge tables
                assert sctid[-10:-3] in {NAMESPACE, "1000119"}, sctid


def test_isa_is_acyclic_and_every_concept_reaches_the_root(kb: dict) -> None:
    root = _root(kb)
    state: dict[str, int] = {}

    def visit(c: str) -> None:
        assert state.get(c) != 1, f"is-a cycle through {c}"
        if state.get(c) == 2:
            return
        state[c] = 1
        for p in kb["parents"][c]:
            assert p in kb["active"], f"{c} has inactive or missing parent {p}"
            visit(p)
        state[c] = 2

    for c in kb["active"]:
        visit(c)
        assert c == root or root in _ancestors(kb, c), f"{c} does not reach the root"


def test_clinical_hierarchy_examples(kb: dict) -> None:
    def cid(term: str) -> str:
        (hit,) = [c for c in kb["active"] if term in kb["terms"][c]]
        return hit

    chain = [
        "complete left bundle branch block",
        "left bundle branch block",
        "bundle branch block",
        "intraventricular conduction delay",
        "conduction disorder",
    ]
    for child, parent in zip(chain, chain[1:], strict=False):
        assert cid(parent) in kb["parents"][cid(child)], (child, parent)
    avb = cid("atrioventricular block")
    for t in (
        "1st degree av block",
        "2nd degree av block",
        "complete heart block",
        "mobitz type i wenckebach atrioventricular block",
        "mobitz ii",
    ):
        assert avb in _ancestors(kb, cid(t)), t
    svta = cid("supraventricular tachyarrhythmia")
    for t in (
        "atrial flutter",
        "atrial fibrillation",
        "supraventricular tachycardia",
        "atrial tachycardia",
    ):
        assert svta in _ancestors(kb, cid(t)), t
    mi = cid("myocardial infarction")
    for t in (
        "anterior myocardial infarction",
        "inferior myocardial infarction",
        "imi",
        "lateral myocardial infarction",
        "septal myocardial infarction",
        "pmi",
        "asmi",
    ):
        assert mi in _ancestors(kb, cid(t)), t
    assert cid("ventricular hypertrophy") in kb["parents"][cid("lvh")]
    assert cid("ventricular hypertrophy") in kb["parents"][cid("rvh")]


def test_no_normalised_term_names_two_concepts(kb: dict) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for cid, terms in kb["terms"].items():
        for t in terms:
            owners[re.sub(r"[^a-z0-9]+", " ", t).strip()].add(cid)
    shared = {t: c for t, c in owners.items() if len(c) > 1}
    assert not shared, shared


def test_ambiguous_abbreviations_are_not_global_synonyms(kb: dict) -> None:
    terms = set(kb["desc"].term)
    assert not AMBIGUOUS & terms, AMBIGUOUS & terms


def _label_columns(path: Path) -> list[str]:
    header = next(csv.reader(open(path, encoding="utf-8")))
    for marker in ("super_class", "sub_class", "form", "rhythm", "scp_codes", "diagnose"):
        if marker in header:
            return header[header.index(marker) + 1 :]
    raise AssertionError(f"{path}: no label columns found")


def _resolve(kb: dict, table: pd.DataFrame, task: str) -> pd.DataFrame:
    rows = table[table.task == task]
    assert rows.label.is_unique, f"{task}: duplicate labels"
    for row in rows.itertuples():
        assert row.mapping in {"exact", "closest", "group"}, row
        assert row.name.strip(), row
        for c in row.concept_ids.split(";"):
            assert c in kb["active"], f"{task}/{row.label}: {c} not an active concept"
        if row.mapping != "exact":
            assert row.note.strip(), f"{task}/{row.label}: {row.mapping} mapping needs a note"
    return rows


def test_split_label_columns_resolve_in_order(kb: dict, splits_root: Path) -> None:
    sizes = {}
    for folder, task in PTBXL_TASKS.items():
        (path,) = (splits_root / "ptbxl" / folder).glob("*_test.csv")
        rows = _resolve(kb, kb["labelsets"]["ptbxl"], task)
        assert list(rows.label) == _label_columns(path), task
        sizes[task] = len(rows)
    for folder, dataset in (("icbeb", "cpsc2018"), ("chapman", "csn")):
        (path,) = (splits_root / folder).glob("*_test.csv")
        rows = _resolve(kb, kb["labelsets"][dataset], "default")
        assert list(rows.label) == _label_columns(path), dataset
        sizes[dataset] = len(rows)
    assert sizes == {"super": 5, "sub": 23, "form": 19, "rhythm": 12, "cpsc2018": 9, "csn": 38}
    assert sum(sizes.values()) == 106


def test_every_scp_statement_resolves(kb: dict, ptbxl_root: Path) -> None:
    scp = pd.read_csv(ptbxl_root / "scp_statements.csv", index_col=0)
    rows = _resolve(kb, kb["labelsets"]["ptbxl"], "all")
    assert list(rows.label) == list(scp.index)
    assert len(rows) == 71


def test_csn_codes_land_on_the_csn_meaning(kb: dict, data_root: Path) -> None:
    table = pd.read_csv(data_root / "chapman-shaoxing" / "ConditionNames_SNOMED-CT.csv", dtype=str)
    code = dict(zip(table.AcronymName, table.Snomed_CT, strict=True))
    csn = kb["labelsets"]["csn"].set_index("label")
    for label, row in csn.iterrows():
        assert code[label] in row.concept_ids.split(";"), label
    assert _fsn_of(kb, csn.loc["AF", "concept_ids"]) == "Atrial flutter (disorder)"
    assert _fsn_of(kb, csn.loc["AFIB", "concept_ids"]) == "Atrial fibrillation (disorder)"
    assert _fsn_of(kb, csn.loc["ST", "concept_ids"]) == "Sinus tachycardia (finding)"
    assert code["AF"] == "164890007" and code["AFIB"] == "164889003"


def test_features_reference_ecg_findings_with_sources(kb: dict) -> None:
    feats = kb["features"]
    kinds = {
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
    keys = set(re.findall(r"^- \*\*(S\d+)\*\*", (KNOWLEDGE / "SOURCES.md").read_text(), re.M))
    ecg_root = next(
        c for c in kb["active"] if _fsn_of(kb, c) == "Electrocardiographic finding (finding)"
    )
    assert set(feats.feature_kind) <= kinds
    assert set(feats.source) <= keys
    assert (feats.criterion.str.len() > 3).all()
    for row in feats.itertuples():
        assert row.class_concept_id in kb["active"], row
        assert row.feature_concept_id in kb["active"], row
        assert ecg_root in _ancestors(kb, row.feature_concept_id), row
    assert not feats.duplicated(["class_concept_id", "feature_concept_id"]).any()


def test_every_label_concept_has_features(kb: dict) -> None:
    linked = set(kb["features"].class_concept_id)
    for name, table in kb["labelsets"].items():
        for row in table.itertuples():
            for c in row.concept_ids.split(";"):
                if row.mapping == "exact":
                    assert c in linked, f"{name}/{row.task}/{row.label}: no own features"
                else:
                    assert ({c} | _descendants(kb, c)) & linked, f"{name}/{row.label}"


def test_synthetic_labelset(kb: dict) -> None:
    rows = kb["labelsets"]["synthetic"]
    assert list(rows.label) == ["SR", "SBRAD", "STACH", "AFIB"]
    assert set(rows.task) == {"default"}
    fsns = [_fsn_of(kb, c) for c in rows.concept_ids]
    assert fsns == [
        "Sinus rhythm (finding)",
        "Sinus bradycardia (finding)",
        "Sinus tachycardia (finding)",
        "Atrial fibrillation (disorder)",
    ]


def test_generated_files_are_up_to_date() -> None:
    from knowledge.kbbuild.build import main

    assert main(["--check"]) == 0


def test_every_label_concept_has_one_to_three_defining_criteria(kb: dict) -> None:
    feats = kb["features"]
    assert set(feats.defining) == {"0", "1"}
    defining = feats[feats.defining == "1"].groupby("class_concept_id").size()
    assert defining.between(1, 3).all(), defining[~defining.between(1, 3)]
    for name, table in kb["labelsets"].items():
        for row in table.itertuples():
            for c in row.concept_ids.split(";"):
                assert c in defining.index, f"{name}/{row.task}/{row.label}: {_fsn_of(kb, c)}"


def _cid(kb: dict, fsn: str) -> str:
    (hit,) = [c for c in kb["active"] if _fsn_of(kb, c) == fsn]
    return hit


def _links(kb: dict, cls: str) -> dict[str, str]:
    f = kb["features"]
    rows = f[f.class_concept_id == _cid(kb, cls)]
    return {_fsn_of(kb, r.feature_concept_id): r.defining for r in rows.itertuples()}


def test_review_corrections(kb: dict) -> None:
    """knowledge/REVIEW.md: each correction, read back from the generated files."""
    rvh = _links(kb, "Right ventricular hypertrophy (disorder)")
    assert "Downsloping ST depression with T wave inversion in V1 to V3 (finding)" in rvh
    assert not any("V5 and V6" in f for f in rvh if "ST depression" in f)
    avd = _links(kb, "Atrioventricular dissociation (finding)")
    assert "Non-sinus P wave morphology (finding)" not in avd
    assert avd["Ventricular rate equal to or faster than the atrial rate (finding)"] == "1"
    assert "Regular RR intervals (finding)" not in _links(kb, "Cardiac arrhythmia (disorder)")
    nsivcb = _links(kb, "Nonspecific intraventricular conduction disorder (disorder)")
    assert nsivcb["QRS duration more than 110 ms (finding)"] == "1"
    ivcd = _links(kb, "Intraventricular conduction disorder (disorder)")
    assert "QRS duration 120 ms or more (finding)" not in ivcd
    lbbb = _links(kb, "Left bundle branch block (disorder)")
    assert lbbb["QRS duration 110 ms or more (finding)"] == "1"
    assert "QRS duration 120 ms or more (finding)" not in lbbb
    fasc = _links(kb, "Left fascicular block (disorder)")
    assert fasc["Marked left or right deviation of the frontal QRS axis (finding)"] == "1"
    assert "Frontal QRS axis between -45 and -90 degrees (finding)" not in fasc
    assert "rsR' or rSR' pattern in V1 or V2 (finding)" not in _links(
        kb, "Brugada syndrome (disorder)"
    )
    ere = _links(kb, "Early repolarization (finding)")
    assert "ST elevation at the J point in two contiguous leads (finding)" not in ere
    assert ere["J point elevation with terminal QRS notching or slurring (finding)"] == "1"
    for mi in (
        "Myocardial infarction (disorder)",
        "Old myocardial infarction (disorder)",
        "Anterior myocardial infarction (disorder)",
        "Anteroseptal myocardial infarction (disorder)",
    ):
        links = _links(kb, mi)
        assert not {
            "Additional R' wave or notching of the QRS in two contiguous leads (finding)",
            "R wave 3 mm or less in V3 (finding)",
        } & set(links), mi
    f = kb["features"]
    q_path = f[
        (f.class_concept_id == _cid(kb, "Myocardial infarction (disorder)"))
        & (
            f.feature_concept_id
            == _cid(kb, "Pathological Q waves in two contiguous leads (finding)")
        )
    ]
    assert "V2 and V3" in q_path.criterion.item() and "> 20 ms" in q_path.criterion.item()
    assert _cid(kb, "Q wave over 20 ms or QS complex in V2 and V3 (finding)")


@pytest.mark.data
def test_ptbxl_group_labels_cover_exactly_their_statements(kb: dict, ptbxl_root: Path) -> None:
    """A super/sub label's concepts (and descendants) reach exactly its PTB-XL statements."""
    scp = pd.read_csv(ptbxl_root / "scp_statements.csv", index_col=0, dtype=str)
    diag = scp[scp.diagnostic.astype(float) == 1]
    table = kb["labelsets"]["ptbxl"]
    stmt = {r.label: set(r.concept_ids.split(";")) for r in table[table.task == "all"].itertuples()}
    for task, column in (("super", "diagnostic_class"), ("sub", "diagnostic_subclass")):
        for row in table[table.task == task].itertuples():
            cover: set[str] = set()
            for c in row.concept_ids.split(";"):
                cover |= {c} | _descendants(kb, c)
            got = {s for s in diag.index if stmt[s] & cover}
            want = set(diag.index[diag[column].str.strip("_") == row.label.strip("_")])
            assert got == want, f"{task}/{row.label}: extra {got - want}, missing {want - got}"


def test_csn_notes_say_which_label_mode_each_mapping_describes(kb: dict) -> None:
    csn = kb["labelsets"]["csn"].set_index("label")
    assert csn.note.str.contains("label mode: (?:both|rebuilt)").all()
    for label in ("AF", "ST", "VB", "SA", "CR"):
        assert "label mode: rebuilt" in csn.loc[label, "note"], label
    for label in ("AVB", "2AVB", "MI", "LBBB", "SR"):
        assert "label mode: both" in csn.loc[label, "note"], label
