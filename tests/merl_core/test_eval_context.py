"""One evaluation context: a lead sweep scores one context (its features shared, the class
matrix computed once), and the evaluation library names no command-line option (a missing
input says ``what``; the command line maps it to its options)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch

from merl_core.cli.eval import MISSING_INPUT, missing_input
from merl_core.eval.context import EvalConfig, EvalContext, MissingInputError, open_eval_cache
from merl_core.eval.sweep import run_lead_sweep
from tests.source_strings import string_constants

EVAL = Path(__file__).resolve().parents[2] / "merl_core" / "eval"
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z-]+")


class CountingText:
    """A model whose text encoder counts the texts it embeds."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def encode_text(self, texts: list[str], normalize: bool = False) -> torch.Tensor:
        self.texts += list(texts)
        out = torch.arange(len(texts) * 4, dtype=torch.float32).reshape(len(texts), 4) + 1
        return torch.nn.functional.normalize(out, dim=-1) if normalize else out


def test_a_sweep_scores_one_context_and_computes_the_class_matrix_once(tmp_path: Path) -> None:
    model = CountingText()
    ctx = EvalContext(EvalConfig(out=tmp_path / "sweep"), model, tasks=[])
    seen: list[EvalContext] = []

    def score(run: EvalContext) -> Path:
        seen.append(run)
        run.class_matrix([["sinus rhythm"], ["atrial fibrillation"]])
        path = run.config.out / "metrics.json"
        path.parent.mkdir(parents=True)
        task = {"macro_auc": 0.5, "macro_auc_ci": None, "n_records": 3}
        doc = {"run": {"mode": "zeroshot", "seed": 0}, "tasks": {"t": task}}
        path.write_text(json.dumps(doc))
        return path

    shown: list[Path] = []
    out = run_lead_sweep(score, ctx, [("I", "II"), ("II",)], on_run=shown.append)
    assert [r.config.leads for r in seen] == [("I", "II"), ("II",)]
    assert [r.config.out.name for r in seen] == ["leads-I_II", "leads-II"]
    assert all(r.model is model and r.class_matrices is ctx.class_matrices for r in seen)
    assert model.texts == ["sinus rhythm", "atrial fibrillation"]  # once, not once per subset
    assert len(shown) == 2 and out == tmp_path / "sweep" / "lead_sweep.json"
    assert [r["subset"] for r in json.loads(out.read_text())["rows"]] == ["I,II", "II"]


def test_a_missing_input_says_what_and_the_cli_names_the_options(tmp_path: Path) -> None:
    root = tmp_path / "a-dataset-root"
    root.mkdir()
    with pytest.raises(MissingInputError) as err:
        open_eval_cache(root, None, tmp_path / "caches")
    assert err.value.what == "dataset" and "--" not in str(err.value)
    assert missing_input(err.value).endswith("; give --dataset to prepare it")
    exc = MissingInputError("test_split", "no test split file for ptbxl super")
    assert "--split-file" in missing_input(exc)
    assert missing_input(exc, test_split="give --splits-root") == (
        "no test split file for ptbxl super; give --splits-root"
    )
    assert set(MISSING_INPUT) == {"dataset", "test_split", "probe_splits", "data", "checkpoint"}


def test_the_evaluation_library_names_no_option() -> None:
    found = [f"{p.name}:{n.lineno}: {n.value!r}" for p in sorted(EVAL.glob("*.py"))
             for n in string_constants(p.read_text("utf-8")) if OPTION.search(n.value)]  # fmt: skip
    assert found == []
    # the check can fail
    assert OPTION.search("give --split-file or --no-split") and not OPTION.search("a-b --")


def test_a_sweep_hashes_the_checkpoint_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each subset's results record the checkpoint's hash; the folder is read once per context
    (published weights are hundreds of MB), and the hash is that of its files."""
    import hashlib

    import merl_core.eval.context as context

    ck = tmp_path / "ck"
    ck.mkdir()
    (ck / "config.json").write_text("{}")
    (ck / "model.safetensors").write_bytes(b"weights")
    want = hashlib.sha256(b"config.json{}" + b"model.safetensorsweights").hexdigest()
    calls: list[Path] = []
    real = context.sha256_file
    monkeypatch.setattr(context, "sha256_file", lambda p: calls.append(Path(p)) or real(p))
    ctx = EvalContext(EvalConfig(out=tmp_path / "sweep", checkpoint=ck), CountingText(), tasks=[])
    records = []

    def score(run: EvalContext) -> Path:
        records.append(run.run_info("zeroshot"))
        path = run.config.out / "metrics.json"
        path.parent.mkdir(parents=True)
        task = {"macro_auc": 0.5, "macro_auc_ci": None, "n_records": 3}
        path.write_text(json.dumps({"run": {"mode": "zeroshot", "seed": 0}, "tasks": {"t": task}}))
        return path

    run_lead_sweep(score, ctx, [("I", "II"), ("II",), ("I",)])
    assert [r["checkpoint_sha256"] for r in records] == [want] * 3
    assert calls == [ck]
