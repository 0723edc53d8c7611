"""build-prompts --llm none and the audit on the bundled knowledge files (the real label sets)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ckepe.cli import app
from ckepe.labelsets import load_labelset
from ckepe.promptfile import read_prompt_set
from ckepe.terminology import load_terminology

runner = CliRunner()
PROTOCOL = {
    "ptbxl": {"super": 5, "sub": 23, "form": 19, "rhythm": 12},
    "cpsc2018": {"default": 9},
    "csn": {"default": 38},
}


def test_label_sets_resolve(bundled_knowledge: Path) -> None:
    term = load_terminology()
    total = 0
    for ds, tasks in PROTOCOL.items():
        for task, n in tasks.items():
            rows = load_labelset(ds, task)
            assert len(rows) == n, (ds, task)
            total += n
            missing = [(r.label, c) for r in rows for c in r.concept_ids if c not in term]
            assert not missing, f"{ds}/{task}: concepts not in the extract: {missing}"
    assert total == 106
    assert len(load_labelset("ptbxl", "all")) == 71


@pytest.mark.parametrize("dataset", ["ptbxl", "cpsc2018", "csn"])
def test_build_protocol_and_audit_clean(
    bundled_knowledge: Path, tmp_path: Path, dataset: str
) -> None:
    out = tmp_path / f"{dataset}.json"
    res = runner.invoke(
        app, ["build-prompts", "--dataset", dataset, "--llm", "none", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    ps = read_prompt_set(out)
    covered = {(t, c.label) for c in ps.classes for t in c.tasks}
    want = {(r.task, r.label) for r in load_labelset(dataset)}
    assert covered == want and len(want) == sum(PROTOCOL[dataset].values())
    for c in ps.classes:
        assert c.description.strip() and c.concept_ids and c.phrases, c.label
        assert all(p.text in c.description for p in c.phrases)  # rendered, case kept
        assert all(p.concept_id and p.origin == "terminology" for p in c.phrases)
    report = tmp_path / "audit.json"
    res = runner.invoke(app, ["audit", "--hallucination-check", str(out), "--json", str(report)])
    assert res.exit_code == 0, json.loads(report.read_text())["findings"][:5]
    flat = tmp_path / f"{dataset}_flat.json"
    assert runner.invoke(app, ["export-flat", str(out), str(flat)]).exit_code == 0
    res = runner.invoke(app, ["audit", "--hallucination-check", str(flat)])
    assert res.exit_code == 0, res.output


def test_ptbxl_all_statements(bundled_knowledge: Path, tmp_path: Path) -> None:
    out = tmp_path / "ptbxl_all.json"
    res = runner.invoke(
        app,
        [
            "build-prompts",
            "--dataset",
            "ptbxl",
            "--task",
            "all",
            "--llm",
            "none",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    ps = read_prompt_set(out)
    assert len(ps.classes) == 71 and ps.tasks == ["all"]
    assert all(c.description and c.concept_ids for c in ps.classes)
    res = runner.invoke(app, ["audit", "--hallucination-check", str(out)])
    assert res.exit_code == 0, res.output


def test_audit_flags_defects_in_a_real_flat_file(bundled_knowledge: Path, tmp_path: Path) -> None:
    flat = {
        "AFIB": "atrial fibrillation; subtypes: sinus bradycardia",  # not a descendant
        "1AVB": "first degree av block, giant flaming p waves",  # unknown term
        "NORM": "Sure, here is the prompt: normal ecg",  # chat text
        "PAC": "premature atrial contraction; ecg features: atrial fibrillation",  # other label
        "STD": "st depression; ecg features: inferior st-t changes, inferior st-t changes",
        "VPC": "premature ventricular contraction",
    }
    f = tmp_path / "icbeb_prompts.json"
    f.write_text(json.dumps(flat))
    report = tmp_path / "r.json"
    res = runner.invoke(
        app, ["audit", "--hallucination-check", str(f), "--json", str(report), "--partial"]
    )  # six of the nine CPSC labels
    assert res.exit_code == 1, res.output
    got = {(x["label"], x["code"]) for x in json.loads(report.read_text())["findings"]}
    assert got == {
        ("AFIB", "not_descendant"),
        ("1AVB", "unknown_term"),
        ("NORM", "chat_text"),
        ("PAC", "other_label"),
        ("STD", "duplicate"),
    }


def test_pymedtermino_backend_gives_the_same_prompt_set(
    bundled_knowledge: Path, tmp_path: Path
) -> None:
    import subprocess
    import sys

    from ckepe.terminology import build_pymedtermino_db

    build_pymedtermino_db(bundled_knowledge / "terminology", tmp_path / "pmt")
    rf2 = tmp_path / "rf2.json"
    assert (
        runner.invoke(
            app, ["build-prompts", "--dataset", "cpsc2018", "--llm", "none", "--out", str(rf2)]
        ).exit_code
        == 0
    )
    pmt = tmp_path / "pmt.json"
    # pymedtermino opens its database at import time: a fresh interpreter
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from ckepe.cli import app; app()",
            "build-prompts",
            "--dataset",
            "cpsc2018",
            "--llm",
            "none",
            "--terminology",
            f"pymedtermino:{tmp_path / 'pmt'}",
            "--out",
            str(pmt),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    a, b = read_prompt_set(rf2), read_prompt_set(pmt)
    assert b.terminology.source.startswith("pymedtermino:")
    assert a.prompt_set_version == b.prompt_set_version
