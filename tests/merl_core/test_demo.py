"""``merl-core demo --quick``: synthetic pairs → pretraining → ckepe prompts → zero-shot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from merl_core.cli import app


@pytest.mark.slow
def test_demo_quick_beats_chance(tmp_path: Path) -> None:
    # --llm none keeps the test inside its budget; the local-LLM path is ckepe's to test
    res = CliRunner().invoke(app, ["demo", "--quick", "--out", str(tmp_path), "--llm", "none"])
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "results" / "metrics.json").read_text())
    task = m["tasks"]["synthetic"]
    assert [c["label"] for c in task["classes"]] == ["SR", "SBRAD", "STACH", "AFIB"]
    assert task["macro_auc"] > 0.5 and task["threshold_source"] == "val"
    assert m["run"]["prompt_set_version"] and len(m["run"]["checkpoint_sha256"]) == 64
    assert "macro AUC" in res.output and (tmp_path / "results" / "auc_synthetic.png").exists()
