"""build-prompts says up front what it will run and never overwrites a default output silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ckepe.cli import app

runner = CliRunner()


def test_default_output_is_not_overwritten_without_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "prompts" / "cpsc2018.json"
    target.parent.mkdir()
    target.write_text('{"keep": "me"}\n', encoding="utf-8")
    res = runner.invoke(app, ["build-prompts", "--dataset", "cpsc2018", "--llm", "none"])
    assert res.exit_code == 2
    assert "--force" in res.output and "prompts/cpsc2018.json" in res.output
    assert json.loads(target.read_text(encoding="utf-8")) == {"keep": "me"}

    res = runner.invoke(app, ["build-prompts", "--dataset", "cpsc2018", "--llm", "none", "--force"])
    assert res.exit_code == 0, res.output
    assert json.loads(target.read_text(encoding="utf-8"))["dataset"] == "cpsc2018"


def test_explicit_out_may_overwrite_and_the_plan_is_announced(tmp_path: Path) -> None:
    out = tmp_path / "mine.json"
    out.write_text("{}", encoding="utf-8")
    res = runner.invoke(
        app, ["build-prompts", "--dataset", "cpsc2018", "--llm", "none", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    # the plan (classes, backend, estimate, destination) comes before the work
    assert "9 classes of cpsc2018" in res.output and "LLM none" in res.output
    assert str(out) in res.output.replace("\n", "")
    assert json.loads(out.read_text(encoding="utf-8"))["dataset"] == "cpsc2018"
    assert oct(out.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_flat_file_errors_name_the_entry_and_take_the_dataset_flag(tmp_path: Path) -> None:
    from ckepe.promptfile import PromptFileError, read_prompt_set

    bad = tmp_path / "mine.json"
    bad.write_text('{"a": 1}', encoding="utf-8")
    res = runner.invoke(app, ["audit", "--hallucination-check", str(bad), "--dataset", "ptbxl"])
    assert res.exit_code == 2
    assert "class 'a' needs a text" in res.output and "Field required" not in res.output
    with pytest.raises(PromptFileError, match="class 'a' needs a text"):
        read_prompt_set(bad, "ptbxl")
    good = tmp_path / "mine2.json"  # a name that says nothing of its dataset
    good.write_text('{"AFIB": "atrial fibrillation, absent P waves"}', encoding="utf-8")
    assert read_prompt_set(good, "cpsc2018").dataset == "cpsc2018"
    res = runner.invoke(
        app, ["audit", "--hallucination-check", str(good), "--dataset", "cpsc2018", "--partial"]
    )
    assert res.exit_code == 0, res.output


def test_audit_dataset_flag_that_disagrees_with_the_file_is_an_error() -> None:
    committed = Path(__file__).resolve().parents[2] / "prompts" / "cpsc2018.json"
    res = runner.invoke(
        app, ["audit", "--hallucination-check", str(committed), "--dataset", "ptbxl"]
    )
    assert res.exit_code == 2
    assert "cpsc2018 prompt set, not ptbxl" in res.output
