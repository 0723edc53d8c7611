"""Zero-shot and linear probe end to end on the real PTB-XL sample with a checkpoint trained
here: fold 10 through the published split file, metrics checked against scikit-learn."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from ckepe.promptfile import read_prompt_version
from merl_core.cli import app

pytestmark = [pytest.mark.data, pytest.mark.slow]  # the session trains its tiny checkpoint (~30 s)
runner = CliRunner()

SUPER = ("NORM", "MI", "STTC", "CD", "HYP")
SUPER_PROMPTS = {
    "NORM": ("normal ecg", ["normal ecg", "sinus rhythm", "normal qrs axis"]),
    "MI": ("myocardial infarction", ["myocardial infarction", "pathological q waves"]),
    "STTC": ("st/t change", ["st segment depression", "t wave inversion"]),
    "CD": ("conduction disturbance", ["bundle branch block", "prolonged pr interval"]),
    "HYP": ("hypertrophy", ["left ventricular hypertrophy", "increased qrs voltage"]),
}


def _structured(labels: dict[str, tuple[str, list[str]]]) -> dict:
    return {
        "schema_version": "1", "prompt_set_version": "sha256:testset", "dataset": "ptbxl",
        "classes": [
            {"label": k, "name": v[0], "description": f"{v[0]}: " + ", ".join(v[1]),
             "phrases": [{"text": p, "kind": "feature", "concept_id": "0",
                          "origin": "terminology"} for p in v[1]]}
            for k, v in labels.items()
        ],
    }  # fmt: skip


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory, ptbxl_root: Path, ptbxl_cache: Path,
         tiny_checkpoint: Path) -> dict[str, Path]:  # fmt: skip
    """The session's PTB-XL sample cache and tiny checkpoint, and two prompt files."""
    tmp = tmp_path_factory.mktemp("eval")
    prompts = tmp / "ptbxl.json"
    prompts.write_text(json.dumps(_structured(SUPER_PROMPTS)))
    flat = tmp / "flat.json"
    flat.write_text(json.dumps({k: v[0] for k, v in SUPER_PROMPTS.items()}))
    return {"tmp": tmp, "cache": ptbxl_cache, "ckpt": tiny_checkpoint, "prompts": prompts,
            "flat": flat, "ptbxl_root": ptbxl_root}  # fmt: skip


def _zeroshot(work: dict[str, Path], split: Path, out: Path, *extra: str):
    return runner.invoke(app, [
        "zeroshot", "--prompts", str(work["prompts"]), "--checkpoint", str(work["ckpt"]),
        "--data", str(work["cache"]), "--task", "super", "--split-file", str(split),
        "--out", str(out), "--bootstrap", "200", *extra,
    ])  # fmt: skip


def test_zeroshot_fold10_matches_sklearn(work: dict[str, Path], splits_root: Path) -> None:
    split = splits_root / "ptbxl/super_class/ptbxl_super_class_test.csv"
    out = work["tmp"] / "zs"
    res = _zeroshot(work, split, out)
    assert res.exit_code == 0, res.output
    m = json.loads((out / "metrics.json").read_text())
    run, task = m["run"], m["tasks"]["ptbxl-super"]
    # the recorded version is the one ckepe recomputes, not the file's "sha256:testset"
    recomputed = read_prompt_version(work["prompts"])[1].recomputed
    assert len(run["checkpoint_sha256"]) == 64 and run["prompt_set_version"] == recomputed
    assert len(run["data_manifest_sha256"]) == 64 and run["seed"] == 0
    assert task["threshold_source"] == "val" and task["val"]["split_file"].endswith("_val.csv")
    # independently: fold-10 labels straight from the published CSV, AUCs from scikit-learn
    npz = np.load(out / "scores_ptbxl-super.npz")
    scores, labels = npz["scores"], [str(x) for x in npz["labels"]]
    csv = pd.read_csv(split)
    sample_ids = set(pd.read_csv(Path(work["ptbxl_root"]) / "ptbxl_database.csv").ecg_id)
    rows = csv[csv.ecg_id.isin(sample_ids)]
    assert (rows.strat_fold == 10).all() and len(rows) == task["n_records"] == len(scores)
    y = rows[labels].to_numpy(dtype=float)
    assert np.array_equal(np.sort(y, axis=0), np.sort(npz["y"], axis=0))
    by_label = {c["label"]: c for c in task["classes"]}
    aucs = []
    for j, lab in enumerate(labels):
        c = by_label[lab]
        assert c["positives"] == int(npz["y"][:, j].sum())
        if 0 < c["positives"] < len(scores):
            expect = roc_auc_score(npz["y"][:, j], scores[:, j])
            assert c["auc"] == pytest.approx(expect, abs=1e-9)
            aucs.append(expect)
    assert task["macro_auc"] == pytest.approx(np.mean(aucs), abs=1e-9)
    for name in ("metrics.md", "roc_ptbxl-super.png", "auc_ptbxl-super.png"):
        assert (out / name).stat().st_size > 0


def test_missing_class_is_one_clear_line(work: dict[str, Path], splits_root: Path) -> None:
    partial = work["tmp"] / "partial.json"
    partial.write_text(json.dumps(_structured({k: v for k, v in SUPER_PROMPTS.items()
                                               if k != "STTC"})))  # fmt: skip
    split = splits_root / "ptbxl/super_class/ptbxl_super_class_test.csv"
    res = runner.invoke(app, [
        "zeroshot", "--prompts", str(partial), "--checkpoint", str(work["ckpt"]),
        "--data", str(work["cache"]), "--split-file", str(split), "--out", str(work["tmp"] / "x"),
    ])  # fmt: skip
    assert res.exit_code == 2
    errors = [line for line in res.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in res.output
    assert "'STTC'" in errors[0] and "partial.json" in errors[0]
    assert not (work["tmp"] / "x" / "metrics.json").exists()


def test_flat_prompt_file_and_prompt_modes(work: dict[str, Path], splits_root: Path) -> None:
    split = splits_root / "ptbxl/super_class/ptbxl_super_class_test.csv"
    runs = {}
    for mode, pfile in (("description", "flat"), ("phrases", "prompts"), ("name", "prompts")):
        out = work["tmp"] / f"zs-{mode}-{pfile}"
        res = runner.invoke(app, [
            "zeroshot", "--prompts", str(work[pfile]), "--checkpoint", str(work["ckpt"]),
            "--data", str(work["cache"]), "--split-file", str(split), "--out", str(out),
            "--prompt-mode", mode, "--bootstrap", "0",
        ])  # fmt: skip
        assert res.exit_code == 0, res.output
        runs[mode] = np.load(out / "scores_ptbxl-super.npz")["scores"]
    assert not np.allclose(runs["phrases"], runs["name"])  # different class embeddings


def test_linear_probe_ratios(work: dict[str, Path], splits_root: Path) -> None:
    split = splits_root / "ptbxl/super_class/ptbxl_super_class_test.csv"
    out = work["tmp"] / "probe"
    res = runner.invoke(app, [
        "linear-probe", "--checkpoint", str(work["ckpt"]), "--data", str(work["cache"]),
        "--task", "super", "--split-file", str(split), "--ratio", "10", "100",
        "--epochs", "30", "--bootstrap", "0", "--out", str(out),
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    m = json.loads((out / "metrics.json").read_text())
    tasks = m["tasks"]
    assert set(tasks) == {"ptbxl-super-10pct", "ptbxl-super-100pct"}
    small, full = tasks["ptbxl-super-10pct"], tasks["ptbxl-super-100pct"]
    assert small["probe"]["train_rows"] < full["probe"]["train_rows"]
    assert full["threshold_source"] == "val" and full["macro_auc"] is not None


def test_linear_probe_random_init_baseline(work: dict[str, Path], splits_root: Path) -> None:
    split = splits_root / "ptbxl/super_class/ptbxl_super_class_test.csv"
    out = work["tmp"] / "probe-random"
    res = runner.invoke(app, [
        "linear-probe", "--checkpoint", str(work["ckpt"]), "--data", str(work["cache"]),
        "--split-file", str(split), "--ratio", "100", "--random-init", "--epochs", "20",
        "--bootstrap", "0", "--out", str(out),
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    m = json.loads((out / "metrics.json").read_text())
    assert m["run"]["random_init"] is True and "ptbxl-super-100pct" in m["tasks"]
    trained_dir = work["tmp"] / "probe"  # written by test_linear_probe_ratios
    if (trained_dir / "metrics.json").exists():
        trained = json.loads((trained_dir / "metrics.json").read_text())
        a = np.load(out / "scores_ptbxl-super-100pct.npz")["scores"]
        b = np.load(trained_dir / "scores_ptbxl-super-100pct.npz")["scores"]
        assert trained["run"]["random_init"] is False and not np.allclose(a, b)
