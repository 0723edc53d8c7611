"""Lead subsets, the prompt comparison and the evaluation guard rails, on the real PTB-XL
sample with a checkpoint trained here (issues 12 and 16)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from merl_core.cli import app

pytestmark = [pytest.mark.data, pytest.mark.slow]  # the session trains its tiny checkpoint (~30 s)
runner = CliRunner()

SUPER = {
    "NORM": ("normal ecg", ["normal ecg", "sinus rhythm", "normal qrs axis"]),
    "MI": ("myocardial infarction", ["myocardial infarction", "pathological q waves"]),
    "STTC": ("st/t change", ["st segment depression", "t wave inversion"]),
    "CD": ("conduction disturbance", ["bundle branch block", "prolonged pr interval"]),
    "HYP": ("hypertrophy", ["left ventricular hypertrophy", "increased qrs voltage"]),
}


def _structured(labels: dict, dataset: str = "ptbxl") -> dict:
    return {
        "schema_version": "1", "prompt_set_version": "sha256:testset", "dataset": dataset,
        "classes": [
            {"label": k, "name": v[0], "description": f"{v[0]}: " + ", ".join(v[1]),
             "phrases": [{"text": p, "kind": "feature", "concept_id": "0",
                          "origin": "terminology"} for p in v[1]]}
            for k, v in labels.items()
        ],
    }  # fmt: skip


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory, ptbxl_cache: Path, tiny_checkpoint: Path,
         splits_root: Path) -> dict:  # fmt: skip
    """The session's PTB-XL sample cache and tiny checkpoint, a prompt file."""
    tmp = tmp_path_factory.mktemp("runs")
    prompts = tmp / "ptbxl.json"
    prompts.write_text(json.dumps(_structured(SUPER)))
    return {"tmp": tmp, "cache": ptbxl_cache, "ckpt": tiny_checkpoint, "prompts": prompts,
            "split": splits_root / "ptbxl/super_class/ptbxl_super_class_test.csv"}  # fmt: skip


def _zs(work: dict, out: Path, *extra: str, split: bool = True):
    args = ["zeroshot", "--prompts", str(work["prompts"]), "--checkpoint", str(work["ckpt"]),
            "--data", str(work["cache"]), "--task", "super", "--out", str(out),
            "--bootstrap", "100"]  # fmt: skip
    return runner.invoke(
        app, args + (["--split-file", str(work["split"])] if split else []) + list(extra)
    )


# ----------------------------------------------------------------------------- lead subsets
def test_parse_leads_and_sets() -> None:
    from merl_core.eval.leads import LeadSpecError, parse_leads, parse_sweep, subset_label

    assert parse_leads("limb6") == ("I", "II", "III", "aVR", "aVL", "aVF")
    assert parse_leads("v1,II,avl") == ("II", "aVL", "V1")  # canonical order and spelling
    assert subset_label(parse_leads("precordial6")) == "precordial6"
    assert [subset_label(s) for s in parse_sweep("all12;I,II;II;ii")] == ["all12", "I,II", "II"]
    with pytest.raises(LeadSpecError, match="'V7'"):
        parse_leads("V7")


def test_lead_sweep_records_subsets_zeroes_leads_and_matches_plain(work: dict) -> None:
    from merl_core.data.cache import ECGCache
    from merl_core.eval.leads import with_leads
    from merl_core.eval.zeroshot import encode_ecgs
    from merl_core.train.checkpoint import load_model

    plain = work["tmp"] / "plain"
    assert _zs(work, plain).exit_code == 0
    sweep = work["tmp"] / "sweep"
    res = _zs(work, sweep, "--lead-sweep", "all12;limb6;I,II")
    assert res.exit_code == 0, res.output
    doc = json.loads((sweep / "lead_sweep.json").read_text())
    rows = {r["subset"]: r for r in doc["rows"]}
    assert list(rows) == ["all12", "limb6", "I,II"]
    assert rows["I,II"]["leads"] == ["I", "II"] and rows["limb6"]["n_leads"] == 6
    for label, folder in (("limb6", "leads-limb6"), ("I,II", "leads-I_II")):
        m = json.loads((sweep / folder / "metrics.json").read_text())
        assert (
            m["run"]["lead_subset"] == label
            and m["tasks"]["ptbxl-super"]["leads"] == rows[label]["leads"]
        )
        assert len(m["run"]["absent_leads_zeroed"]) == 12 - len(rows[label]["leads"])
    base = json.loads((plain / "metrics.json").read_text())["tasks"]["ptbxl-super"]
    assert rows["all12"]["macro_auc"] == pytest.approx(base["macro_auc"], abs=1e-12)
    assert rows["all12"]["macro_auc_ci"] == pytest.approx(base["macro_auc_ci"], abs=1e-12)
    a = np.load(plain / "scores_ptbxl-super.npz")["scores"]
    b = np.load(sweep / "leads-all12" / "scores_ptbxl-super.npz")["scores"]
    c = np.load(sweep / "leads-I_II" / "scores_ptbxl-super.npz")["scores"]
    assert np.array_equal(a, b) and not np.allclose(a, c)
    for name in ("lead_sweep.md", "lead_sweep.png"):
        assert (sweep / name).stat().st_size > 0
    # what the encoder sees: leads III..V6 are zero, I and II untouched
    model = load_model(work["ckpt"]).eval()
    seen: list[torch.Tensor] = []
    first = model.ecg.patch if hasattr(model.ecg, "patch") else model.ecg.stem  # its input layer
    hook = first.register_forward_pre_hook(lambda _m, args: seen.append(args[0].clone()))
    sig = ECGCache(work["cache"]).signals
    encode_ecgs(with_leads(model, ("I", "II")), sig, indices=[0, 1, 2], progress=False)
    hook.remove()
    x = torch.cat(seen)
    assert torch.count_nonzero(x[:, 2:]) == 0
    assert torch.equal(x[:, :2], torch.as_tensor(np.asarray(sig[[0, 1, 2]])[:, :2]))


def test_probe_and_protocol_record_leads(work: dict, splits_root: Path) -> None:
    out = work["tmp"] / "probe-limb"
    res = runner.invoke(app, [
        "linear-probe", "--checkpoint", str(work["ckpt"]), "--data", str(work["cache"]),
        "--split-file", str(work["split"]), "--ratio", "100", "--epochs", "10",
        "--bootstrap", "0", "--leads", "limb6", "--out", str(out),
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    m = json.loads((out / "metrics.json").read_text())
    assert m["run"]["lead_subset"] == "limb6" and len(m["run"]["leads"]) == 6


# ----------------------------------------------------------------------------- compare-prompts
def test_compare_prompts_paired_differences_match_sklearn(work: dict) -> None:
    out = work["tmp"] / "compare"
    res = runner.invoke(app, [
        "compare-prompts", "--prompts", str(work["prompts"]), "--checkpoint", str(work["ckpt"]),
        "--data", str(work["cache"]), "--task", "super", "--bootstrap", "200", "--out", str(out),
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "compare.json").read_text())
    t = doc["tasks"]["ptbxl-super"]
    assert t["sentence"] in res.output and "highest macro AUC" in t["sentence"]
    assert set(t["sets"]) == {"ckepe-description", "ckepe-phrases", "class-names",
                              "random-words", "shuffled-ckepe"}  # fmt: skip
    npz = np.load(out / "scores_ptbxl-super.npz")
    y = npz["y"]
    assert len(npz["ids"]) == len(y) == t["n_records"]

    def macro(s: np.ndarray) -> float:
        cols = [j for j in range(y.shape[1]) if 0 < y[:, j].sum() < len(y)]
        return float(np.mean([roc_auc_score(y[:, j], s[:, j]) for j in cols]))

    for d in t["differences"]:
        a, b = macro(npz[f"scores__{d['a']}"]), macro(npz[f"scores__{d['b']}"])
        assert d["difference"] == pytest.approx(a - b, abs=1e-12)
        assert d["ci"][0] <= d["ci"][1] and d["excludes_zero"] == (d["ci"][0] > 0 or d["ci"][1] < 0)
    texts = t["texts"]
    for label, desc in texts["ckepe-description"].items():
        assert len(texts["random-words"][label][0].split()) == len(desc[0].split())
        assert texts["shuffled-ckepe"][label] != desc
    for name in ("compare.md", "compare.png"):
        assert (out / name).stat().st_size > 0


def test_paired_bootstrap_equals_naive_loop() -> None:
    from merl_core.eval.metrics import bootstrap_weights
    from merl_core.eval.paired import paired_auc_difference

    rng = np.random.default_rng(3)
    y = (rng.random((40, 3)) < 0.4).astype(float)
    a, b = y + rng.normal(0, 0.8, y.shape), y + rng.normal(0, 1.5, y.shape)
    d = paired_auc_difference(y, a, b, n_bootstrap=50, seed=7)
    w = bootstrap_weights(40, 50, 7)
    diffs = []
    for row in w:
        idx = np.repeat(np.arange(40), row.astype(int))
        cols = [j for j in range(3) if 0 < y[idx, j].sum() < len(idx)]
        diffs.append(np.mean([roc_auc_score(y[idx, j], a[idx, j]) for j in cols])
                     - np.mean([roc_auc_score(y[idx, j], b[idx, j]) for j in cols]))  # fmt: skip
    assert d.ci == pytest.approx((np.quantile(diffs, 0.025), np.quantile(diffs, 0.975)), abs=1e-9)
    same = paired_auc_difference(y, a, a, n_bootstrap=50, seed=7)
    assert same.difference == 0 and same.ci == (0.0, 0.0) and not same.excludes_zero


# ----------------------------------------------------------------------------- issue 16 guards
def test_no_split_refused_unless_asked_and_marked(work: dict, tmp_path: Path) -> None:
    empty = tmp_path / "no-splits"
    empty.mkdir()
    res = _zs(work, tmp_path / "a", "--splits-root", str(empty), split=False)
    assert res.exit_code == 2 and "--no-split" in res.output and "Traceback" not in res.output
    res = _zs(work, tmp_path / "b", "--splits-root", str(empty), "--no-split", split=False)
    assert res.exit_code == 0, res.output
    assert "NOT A BENCHMARK" in res.output
    m = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert m["run"]["benchmark"] is False and "NOT A BENCHMARK" in m["run"]["notes"][0]
    assert "NOT A BENCHMARK" in (tmp_path / "b" / "metrics.md").read_text()
    # all 500 records, including those the checkpoint was pretrained on
    overlap = m["run"]["pretraining_overlap"]
    assert overlap["records"] > 0 and overlap["of"] == m["tasks"]["ptbxl-super"]["n_records"]
    assert "pretraining data" in res.output


def test_errors_name_the_real_mistake(work: dict, tmp_path: Path) -> None:
    cpsc = tmp_path / "cpsc2018.json"
    cpsc.write_text(json.dumps(_structured({"AF": ("atrial fibrillation", ["irregular"])},
                                           "cpsc2018")))  # fmt: skip
    res = runner.invoke(app, [
        "zeroshot", "--prompts", str(cpsc), "--checkpoint", str(work["ckpt"]),
        "--data", str(work["cache"]), "--out", str(tmp_path / "x"),
    ])  # fmt: skip
    assert res.exit_code == 2 and "this prompt set is for cpsc2018" in res.output, res.output
    res = _zs(work, tmp_path / "y", "--dataset", "foo")
    assert res.exit_code == 2 and "foo" in res.output
    res = runner.invoke(app, ["export", str(work["ckpt"]), str(tmp_path / "enc")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, [
        "zeroshot", "--prompts", str(work["prompts"]), "--checkpoint", str(tmp_path / "enc"),
        "--data", str(work["cache"]), "--split-file", str(work["split"]),
        "--out", str(tmp_path / "z"),
    ])  # fmt: skip
    errors = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    assert res.exit_code == 2 and len(errors) == 1 and "no text encoder" in errors[0]
    assert "Traceback" not in res.output
    res = runner.invoke(app, [
        "zeroshot", "--prompts", str(work["prompts"]),
        "--checkpoint", str(work["ckpt"] / "model.safetensors"), "--data", str(work["cache"]),
        "--split-file", str(work["split"]), "--bootstrap", "0", "--out", str(tmp_path / "s"),
    ])  # fmt: skip
    assert res.exit_code == 0, res.output


def test_protocol_skips_are_listed_and_fail_unless_allowed(work: dict, tmp_path: Path,
                                                           splits_root: Path) -> None:  # fmt: skip
    from merl_core.eval.evalsets import PROTOCOL, read_split_file

    labels: set[str] = set()  # a flat prompt per class of the four PTB-XL test sets
    for ds, _, stem in PROTOCOL:
        if ds == "ptbxl":
            labels.update(read_split_file(splits_root / f"{stem}_test.csv").label_names)
    pdir = tmp_path / "prompts"
    pdir.mkdir()
    (pdir / "ptbxl.json").write_text(json.dumps({lab: f"ecg with {lab}" for lab in labels}))
    args = ["protocol", "--prompts-dir", str(pdir), "--checkpoint", str(work["ckpt"]),
            "--ptbxl", str(work["cache"]), "--bootstrap", "0"]  # fmt: skip
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "p1")])
    assert res.exit_code == 1, res.output
    assert "SKIPPED test set cpsc2018-default" in res.output and "--allow-missing" in res.output
    md = (tmp_path / "p1" / "metrics.md").read_text()
    assert "SKIPPED test set cpsc2018-default" in md and "SKIPPED test set csn-default" in md
    assert "evaluated 4 of 6 test sets" in md
    assert "| prompt set | version |" in md and "{'" not in res.output
    res = runner.invoke(app, [*args, "--allow-missing", "--out", str(tmp_path / "p2")])
    assert res.exit_code == 0, res.output
    assert "SKIPPED test set csn-default" in res.output


def test_plots_skipped_when_every_class_is_absent(tmp_path: Path) -> None:
    from merl_core.eval.metrics import evaluate
    from merl_core.eval.report import TaskOutput, write_run

    y = np.zeros((6, 2))
    s = np.random.default_rng(0).random((6, 2))
    res = evaluate(y, s, ["A", "B"], n_bootstrap=0)
    write_run(tmp_path, {"mode": "zeroshot"}, [TaskOutput("t", res, y, s, ids=np.arange(6))])
    assert not list(tmp_path.glob("*.png")) and (tmp_path / "metrics.md").exists()
    assert list(np.load(tmp_path / "scores_t.npz")["ids"]) == [str(i) for i in range(6)]
