"""End to end: a 3-class prompt set built with the real local LLM, then audited."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ckepe.audit import Knowledge, audit_prompt_set
from ckepe.build import build_prompt_set
from ckepe.labelsets import COLUMNS, read_labelset_table
from ckepe.llm import LLMProposer, generator_info
from ckepe.llm.cache import ResponseCache
from ckepe.promptfile import read_prompt_set, write_prompt_set
from ckepe.terminology import knowledge_dir, load_terminology

pytestmark = pytest.mark.llm

PTBXL_THREE = ("CLBBB", "AFIB", "1AVB")


def write_table(folder: Path, dataset: str, rows: list[list[str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{dataset}.tsv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(COLUMNS)
        w.writerows(rows)


def _three_classes(tmp_path: Path, small_rf2: Path):
    """(terminology, dataset, task, labels folder): the bundled extract's PTB-XL CLBBB, AFIB,
    1AVB when it exists, else three classes of the small RF2 snapshot of conftest.py."""
    folder = tmp_path / "labelsets"
    if list((knowledge_dir() / "terminology").glob("sct2_Concept_Snapshot*.txt")):
        rows = [
            r for r in read_labelset_table("ptbxl") if r.task == "all" and r.label in PTBXL_THREE
        ]
        write_table(
            folder,
            "ptbxl",
            [[r.task, r.label, ";".join(r.concept_ids), r.name, r.mapping, r.note] for r in rows],
        )
        return load_terminology(), "ptbxl", "all", folder
    write_table(
        folder,
        "cpsc2018",
        [
            ["default", "RBBB", "59118001", "right bundle branch block", "exact", ""],
            ["default", "LBBB", "164909002", "left bundle branch block", "exact", ""],
            ["default", "AF", "49436004", "atrial fibrillation", "exact", ""],
        ],
    )
    term = load_terminology(small_rf2 / "Snapshot" / "Terminology", small_rf2 / "features.tsv")
    return term, "cpsc2018", None, folder


def test_local_llm_build_of_three_classes(local_chat, small_rf2: Path, tmp_path: Path) -> None:
    term, dataset, task, folder = _three_classes(tmp_path, small_rf2)
    cache = ResponseCache(tmp_path / "cache")
    proposer = LLMProposer(local_chat, cache)
    gen = generator_info(local_chat, "local", cache, True)
    result = build_prompt_set(term, dataset, task, proposer, gen, labels_folder=folder)
    ps = result.prompt_set
    assert len(ps.classes) == 3 and ps.generator.llm_backend == "local"
    assert ps.generator.model_dump()["model_sha256"] == local_chat.model_sha256
    for ce, st in zip(ps.classes, result.stats, strict=True):
        assert ce.description and ce.phrases
        llm_rejected = [r for r in ce.rejected if r.origin == "llm"]
        assert all(r.code and r.reason for r in ce.rejected)
        assert len(llm_rejected) <= st.proposed
        if ce.fallback:
            assert ce.fallback_reason
        else:
            assert any(p.origin == "llm" for p in ce.phrases)
    # the built file passes the same hallucination check as `ckepe audit`
    rows = read_labelset_table(dataset, folder)
    report = audit_prompt_set(Knowledge(term), ps, rows=rows)
    assert report.exit_code() == 0, [f.as_dict() for f in report.problems]
    out = tmp_path / f"{dataset}.json"
    write_prompt_set(ps, out)
    assert read_prompt_set(out).prompt_set_version == ps.prompt_set_version
