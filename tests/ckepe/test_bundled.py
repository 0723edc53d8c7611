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
PROTOCOL = {"ptbxl": {"super": 5, "sub": 23, "form": 19, "rhythm": 12},
            "cpsc2018": {"default": 9}, "csn": {"default": 38}}


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
def test_build_protocol_and_audit_clean(bundled_knowledge: Path, tmp_path: Path,
                                        dataset: str) -> None:
    out = tmp_path / f"{dataset}.json"
    res = runner.invoke(app, ["build-prompts", "--dataset", dataset, "--llm", "none",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    ps = read_prompt_set(out)
    covered = {(t, c.label) for c in ps.classes for t in c.tasks}
    want = {(r.task, r.label) for r in load_labelset(dataset)}
    assert covered == want and len(want) == sum(PROTOCOL[dataset].values())
    for c in ps.classes:
        assert c.description.strip() and c.concept_ids and c.phrases, c.label
        assert c.description == c.description.lower()
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
    res = runner.invoke(app, ["build-prompts", "--dataset", "ptbxl", "--task", "all",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    ps = read_prompt_set(out)
    assert len(ps.classes) == 71 and ps.tasks == ["all"]
    assert all(c.description and c.concept_ids for c in ps.classes)
    res = runner.invoke(app, ["audit", "--hallucination-check", str(out)])
    assert res.exit_code == 0, res.output
