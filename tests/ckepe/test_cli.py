"""The ckepe command line with CliRunner, on a small knowledge folder written by the test."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ckepe.cli import app
from ckepe.promptfile import read_prompt_set

runner = CliRunner()


def _build(out: Path) -> None:
    res = runner.invoke(
        app, ["build-prompts", "--dataset", "csn", "--llm", "none", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "RBBB" in res.output and "prompt_set_version" in res.output


def test_build_then_audit_clean(small_knowledge: Path, tmp_path: Path) -> None:
    out = tmp_path / "csn.json"
    _build(out)
    ps = read_prompt_set(out)
    assert len(ps.classes) == 5 and all(c.description and c.concept_ids for c in ps.classes)
    report = tmp_path / "audit.json"
    res = runner.invoke(app, ["audit", "--hallucination-check", str(out), "--json", str(report)])
    assert res.exit_code == 0, res.output
    assert json.loads(report.read_text())["findings"] == []


FLAT_DEFECTS = {
    "RBBB": "right bundle branch block; subtypes: bundle branch block",  # not a descendant
    "IRBBB": "incomplete right bundle branch block, giant flaming p waves",  # unknown term
    "CRBBB": "Sure! Here is the prompt: complete right bundle branch block",  # chat text
    "LBBB": "left bundle branch block; ecg features: atrial fibrillation",  # another label
    "AFIB": "atrial fibrillation; ecg features: no p waves, no p waves",  # duplicate
}


def test_audit_flat_file_with_known_defects(small_knowledge: Path, tmp_path: Path) -> None:
    flat = tmp_path / "upstream_chapman.json"
    flat.write_text(json.dumps(FLAT_DEFECTS))
    report = tmp_path / "findings.json"
    res = runner.invoke(app, ["audit", "--hallucination-check", str(flat), "--json", str(report)])
    assert res.exit_code == 1, res.output
    got = {(f["label"], f["code"]) for f in json.loads(report.read_text())["findings"]}
    assert got == {
        ("RBBB", "not_descendant"),
        ("IRBBB", "unknown_term"),
        ("CRBBB", "chat_text"),
        ("LBBB", "other_label"),
        ("AFIB", "duplicate"),
    }


def test_audit_unreadable_input_exits_2(small_knowledge: Path, tmp_path: Path) -> None:
    out = tmp_path / "csn.json"
    _build(out)
    text = out.read_text()
    out.write_text(text[: len(text) // 2])
    res = runner.invoke(app, ["audit", "--hallucination-check", str(out)])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and str(out) in lines[0] and "invalid JSON" in lines[0]
    assert "Traceback" not in res.output
    odd = tmp_path / "unknown_set.json"
    odd.write_text('{"X": "y"}')
    res = runner.invoke(app, ["audit", "--hallucination-check", str(odd)])
    assert res.exit_code == 2 and "--dataset" in res.output


def test_flat_export_import_round_trip(small_knowledge: Path, tmp_path: Path) -> None:
    out = tmp_path / "csn.json"
    _build(out)
    flat = tmp_path / "flat.json"
    res = runner.invoke(app, ["export-flat", str(out), str(flat)])
    assert res.exit_code == 0, res.output
    data = json.loads(flat.read_text())
    assert list(data) == ["RBBB", "IRBBB", "CRBBB", "LBBB", "AFIB"]
    back = tmp_path / "back.json"
    res = runner.invoke(app, ["import-flat", str(flat), str(back), "--dataset", "csn"])
    assert res.exit_code == 0, res.output
    ps = read_prompt_set(back)
    assert [c.description for c in ps.classes] == list(data.values())
    assert ps.classes[0].concept_ids == ["59118001"]
    res = runner.invoke(app, ["audit", "--hallucination-check", str(flat), "--dataset", "csn"])
    assert res.exit_code == 0, res.output


def test_lookup_and_missing_llm(
    small_knowledge: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = runner.invoke(app, ["lookup", "RBBB"])
    assert res.exit_code == 0, res.output
    assert "59118001" in res.output and "incomplete right bundle branch block" in res.output
    assert "[qrs]" in res.output
    res = runner.invoke(app, ["lookup", "no such thing"])
    assert res.exit_code == 1
    monkeypatch.setitem(sys.modules, "ckepe.llm", None)  # as if llm.py were missing
    res = runner.invoke(
        app,
        ["build-prompts", "--dataset", "csn", "--llm", "local", "--out", str(tmp_path / "x.json")],
    )
    assert res.exit_code == 2 and "--llm none" in res.output
    assert not (tmp_path / "x.json").exists()


def test_one_error_policy_user_error_one_line_bug_traceback(
    small_knowledge: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ckepe.cli as cli
    from ckepe.audit import AuditInputError
    from ckepe.errors import CkepeError
    from ckepe.promptfile import PromptFileError

    assert issubclass(PromptFileError, CkepeError) and issubclass(AuditInputError, CkepeError)
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"RBBB": "right bundle branch block"}))

    def refuse(*_: object) -> None:
        raise PromptFileError("x.json: refusing to write\x1b[2J: something")

    monkeypatch.setattr(cli, "write_prompt_set", refuse)  # not handled at the call site
    res = runner.invoke(app, ["import-flat", str(flat), str(tmp_path / "o.json"),
                              "--dataset", "csn"])  # fmt: skip
    assert res.exit_code == 2 and res.exception is not None
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert lines == ["error: x.json: refusing to write\\x1b[2J: something"]

    def bug(*_: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(cli, "write_prompt_set", bug)
    res = runner.invoke(app, ["import-flat", str(flat), str(tmp_path / "o.json"),
                              "--dataset", "csn"])  # fmt: skip
    assert isinstance(res.exception, KeyError)  # a bug is not turned into a user error
