"""Fixtures for ckepe tests: a small RF2 snapshot written by the test itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from ckepe.terminology import knowledge_dir

MOD = "900000000000207008"
FSN, SYN = "900000000000003001", "900000000000013009"
# (id, fsn, [synonyms], [parents])
SMALL_CONCEPTS = [
    ("1000000001", "ECG finding (finding)", ["electrocardiogram finding"], []),
    ("1000000002", "Cardiac conduction disorder (disorder)", [], ["1000000001"]),
    ("6374002", "Bundle branch block (disorder)", ["BBB"], ["1000000002"]),
    ("59118001", "Right bundle branch block (disorder)", ["RBBB"], ["6374002"]),
    ("713426002", "Incomplete right bundle branch block (disorder)", ["IRBBB"], ["59118001"]),
    ("713427006", "Complete right bundle branch block (disorder)", ["CRBBB"], ["59118001"]),
    ("164909002", "Left bundle branch block (disorder)", ["LBBB"], ["6374002"]),
    ("49436004", "Atrial fibrillation (disorder)", ["AF", "AFIB"], ["1000000001"]),
    (
        "1000000010",
        "QRS duration greater than or equal to 120 ms (finding)",
        ["wide QRS complex", "QRS duration ≥ 120 ms"],
        ["1000000001"],
    ),
    ("1000000011", "RSR' pattern in V1 (finding)", ["rsr prime in V1"], ["1000000001"]),
    ("1000000012", "Absent P waves (finding)", ["no P waves"], ["1000000001"]),
    ("1000000013", "Irregularly irregular rhythm (finding)", [], ["1000000001"]),
    ("1000000014", "Inactive thing (finding)", [], ["1000000001"]),
]
SMALL_FEATURES = [
    ("59118001", "1000000011", "qrs", "rSR' in V1-V2", "S1"),
    ("713427006", "1000000010", "qrs", "QRS >= 120 ms", "S1"),
    ("49436004", "1000000012", "p_wave", "no discrete P waves", "S1"),
    ("49436004", "1000000013", "rhythm", "irregularly irregular RR", "S1"),
]


def write_small_rf2(folder: Path, sub: str = "Snapshot/Terminology") -> Path:
    """Write a small RF2 snapshot (concepts, descriptions, is-a) and features.tsv."""
    term = folder / sub
    term.mkdir(parents=True)
    crow = ["id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId"]
    drow = [
        "id\teffectiveTime\tactive\tmoduleId\tconceptId\tlanguageCode\ttypeId\tterm\t"
        "caseSignificanceId"
    ]
    rrow = [
        "id\teffectiveTime\tactive\tmoduleId\tsourceId\tdestinationId\trelationshipGroup\t"
        "typeId\tcharacteristicTypeId\tmodifierId"
    ]
    did = rid = 1
    for cid, fsn, syns, parents in SMALL_CONCEPTS:
        active = "0" if "Inactive" in fsn else "1"
        crow.append(f"{cid}\t20240101\t{active}\t{MOD}\t900000000000074008")
        for t, typ in [(fsn, FSN)] + [(s, SYN) for s in syns]:
            drow.append(f"{did}\t20240101\t1\t{MOD}\t{cid}\ten\t{typ}\t{t}\t900000000000448009")
            did += 1
        for p in parents:
            rrow.append(
                f"{rid}\t20240101\t1\t{MOD}\t{cid}\t{p}\t0\t116680003\t"
                "900000000000011006\t900000000000451002"
            )
            rid += 1
    # an inactive is-a row that must be ignored: LBBB is-a RBBB
    rrow.append(
        f"{rid}\t20240101\t0\t{MOD}\t164909002\t59118001\t0\t116680003\t"
        "900000000000011006\t900000000000451002"
    )
    for name, rows in (("Concept", crow), ("Description", drow), ("Relationship", rrow)):
        lang = "-en" if name == "Description" else ""
        (term / f"sct2_{name}_Snapshot{lang}_INT_20240101.txt").write_text(
            "\n".join(rows) + "\n", encoding="utf-8"
        )
    feats = ["class_concept_id\tfeature_concept_id\tfeature_kind\tcriterion\tsource"]
    feats += ["\t".join(r) for r in SMALL_FEATURES]
    (folder / "features.tsv").write_text("\n".join(feats) + "\n", encoding="utf-8")
    return folder


SMALL_LABELS = [
    ("default", "RBBB", "59118001", "right bundle branch block", "exact", ""),
    ("default", "IRBBB", "713426002", "incomplete right bundle branch block", "exact", ""),
    ("default", "CRBBB", "713427006", "complete right bundle branch block", "exact", ""),
    ("default", "LBBB", "164909002", "left bundle branch block", "exact", ""),
    ("default", "AFIB", "49436004", "atrial fibrillation", "exact", ""),
]


def write_small_knowledge(folder: Path) -> Path:
    """A knowledge/ folder: small terminology, features.tsv and labelsets/csn.tsv."""
    write_small_rf2(folder, "terminology")
    (folder / "labelsets").mkdir()
    rows = ["task\tlabel\tconcept_ids\tname\tmapping\tnote"] + ["\t".join(r) for r in SMALL_LABELS]
    (folder / "labelsets" / "csn.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


@pytest.fixture()
def small_knowledge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """CKEPE_KNOWLEDGE pointed at a small knowledge folder written by the test."""
    kd = write_small_knowledge(tmp_path / "knowledge")
    monkeypatch.setenv("CKEPE_KNOWLEDGE", str(kd))
    return kd


@pytest.fixture()
def small_rf2(tmp_path: Path) -> Path:
    return write_small_rf2(tmp_path / "rf2")


@pytest.fixture(scope="session")
def bundled_knowledge() -> Path:
    """The bundled knowledge folder; skips when it has not been written yet."""
    kd = knowledge_dir()
    if not list((kd / "terminology").glob("sct2_Concept_Snapshot*.txt")):
        pytest.skip(f"bundled terminology extract missing under {kd}")
    return kd


# --- the packaged local LLM (tests/ckepe/test_llm*.py): loaded once per session ---


@pytest.fixture(scope="session")
def local_chat():
    """The packaged SmolLM2 chat model, engine loaded once (shared by every proposer)."""
    from ckepe.llm.chat import create_local_chat_model

    chat = create_local_chat_model()
    chat.load()
    return chat
