"""The PTB-XL study: English statement reports, and the ``--quick`` pipeline end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from merl_core.data.cache import ECGCache
from merl_core.data.reports_en import english_report, english_reports_for_root, read_statements

REPO = Path(__file__).resolve().parents[1]
TASKS = ("super", "sub", "form", "rhythm")


def test_english_report_orders_rhythm_first_then_likelihood(ptbxl_root: Path) -> None:
    st = read_statements(ptbxl_root / "scp_statements.csv")
    text = english_report({"LVH": 50.0, "SR": 0.0, "IMI": 100.0, "NOPE": 100.0}, st)
    assert text == "sinus rhythm. inferior myocardial infarction. left ventricular hypertrophy."
    assert english_report("{}", st) == ""


def test_english_reports_cover_every_record(ptbxl_root: Path) -> None:
    texts = english_reports_for_root(ptbxl_root)
    assert len(texts) == 500
    assert texts["1"].startswith("sinus rhythm. normal ecg")
    assert all(t.endswith(".") for t in texts.values())


@pytest.mark.slow
def test_study_quick_writes_well_formed_results(data_root: Path, tmp_path: Path) -> None:
    res = tmp_path / "results"
    env = {**os.environ, "MERL_DATA_ROOT": str(data_root), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "studies.ptbxl_sample", "--quick",
         "--out", str(tmp_path / "work"), "--results-dir", str(res)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((res / "study_ptbxl_sample.json").read_text())
    assert data["seeds"] == [0] and data["partial"] is False
    assert data["tasks"] == list(TASKS)
    encoders = ("merl-de", "merl-en", "random-init")
    methods = ("names", "ckepe-term", "ckepe-report", "ckepe-llm-desc", "ckepe-llm-phrases",
               "probe-10%", "probe-100%")  # fmt: skip
    agg = data["aggregate"]
    for enc in encoders:
        for m in methods:
            for task in TASKS:
                e = agg[f"{enc}/{m}@{task}"]
                assert e["seeds"] == [0]
                if e["mean"] is None:
                    assert e["reason"], f"{enc}/{m}@{task}: null without a reason"
                else:
                    assert 0.0 <= e["mean"] <= 1.0
    # every stage ran: both pretrained encoders score the super task with every prompt mode
    for enc in ("merl-de", "merl-en"):
        for m in ("names", "ckepe-term", "ckepe-report", "probe-100%"):
            assert agg[f"{enc}/{m}@super"]["mean"] is not None
    assert len(data["per_seed"][0]["pretrain"]) == 2
    assert data["verdicts"] and all("winner" in v for v in data["verdicts"])
    for task in TASKS:
        classes = data["class_counts"][task]["classes"]
        assert classes and all(isinstance(c["test"], int) for c in classes)
    # the controls ran, and each arm − names has a paired CI on fold 10 and the fold-9 check
    for ctl in ("control-random-words", "control-shuffled"):
        assert agg[f"merl-de/{ctl}@super"]["mean"] is not None
    diffs = data["paired_differences"]
    assert {d["fold"] for d in diffs} == {9, 10}
    d = next(d for d in diffs if (d["encoder"], d["task"], d["fold"], d["a"])
             == ("merl-de", "super", 10, "ckepe-term"))  # fmt: skip
    saved = np.load(tmp_path / "work" / "seed0" / "scores.npz")
    y = saved["y/super/10"]
    expect = _macro_sklearn(y, saved["merl-de/super/ckepe-term/10"]) - _macro_sklearn(
        y, saved["merl-de/super/names/10"]
    )
    assert d["difference"] == pytest.approx(expect, abs=1e-9)
    assert d["ci"] is not None and d["ci"][0] <= d["difference"] <= d["ci"][1]
    # the report-style arm against names and against the criteria style, on both encoders
    for enc in ("merl-de", "merl-en"):
        for b in ("names", "ckepe-term"):
            r = next(d for d in diffs if (d["encoder"], d["task"], d["fold"], d["a"], d["b"])
                     == (enc, "super", 10, "ckepe-report", b))  # fmt: skip
            assert r["ci"] is not None
    r = next(d for d in diffs if (d["encoder"], d["task"], d["fold"], d["a"], d["b"])
             == ("merl-de", "super", 10, "ckepe-report", "ckepe-term"))  # fmt: skip
    expect = _macro_sklearn(y, saved["merl-de/super/ckepe-report/10"]) - _macro_sklearn(
        y, saved["merl-de/super/ckepe-term/10"]
    )
    assert r["difference"] == pytest.approx(expect, abs=1e-9)
    assert data["prompt_sets"]["report"]["generator"]["style"] == "report"
    # the random-init reference: its init 0 is the seed-0 paired random-init arm (same draw),
    # and each margin is the trained seed mean minus the mean over the inits
    ref = data["random_init_reference"]
    assert ref["n"] == 2 and ref["seeds"] == [0, 1]
    paired = agg["random-init/names@super"]["per_seed"][0]
    assert ref["values"]["super/names"][0] == pytest.approx(paired, abs=1e-12)
    m = next(r for r in data["learning_margins"]
             if (r["encoder"], r["arm"], r["task"]) == ("merl-de", "names", "rhythm"))  # fmt: skip
    draws = ref["values"]["rhythm/names"]
    assert m["margin"] == pytest.approx(agg["merl-de/names@rhythm"]["mean"] - np.mean(draws))
    assert m["passes"] == (m["margin"] >= 0.05)
    assert m["share_at_or_above"] == pytest.approx(np.mean(np.array(draws) >= m["trained"]))
    assert data["seconds"]["total"] >= data["seconds"]["pretrain"] + ref["seconds"] > 0
    assert (res / "study_ptbxl_sample_random_inits.png").read_bytes()[:4] == b"\x89PNG"
    md = (res / "study_ptbxl_sample.md").read_text()
    assert "Does pretraining teach zero-shot structure?" in md and "Margin ≥ 0.05" in md
    assert "| encoder | method | super | super, >2 pos. | sub |" in md and "won" in md
    # the table's random-init zero-shot rows are the reference (mean over inits), its probe
    # rows the paired draw
    sup = ref["values"]["super/names"]
    assert (f"| random-init encoder (2 inits) | zero-shot: bare class names | {np.mean(sup):.3f} ± "
            f"{np.std(sup, ddof=1):.3f} |") in md  # fmt: skip
    assert "| random-init encoder | linear probe 100% |" in md
    assert "paired CI" in md and "fold 9" in md
    png = (res / "study_ptbxl_sample.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    # the user commands ran on the first seed's German-report model: compare-prompts with its
    # controls, and the lead sweep of every task whose 12-lead row is the plain zero-shot run
    cmp = json.loads((res / "study_ptbxl_sample_compare.json").read_text())
    assert cmp["user_command"][1] == "compare-prompts"
    assert "de-seed0" in cmp["user_command"][cmp["user_command"].index("--checkpoint") + 1]
    for t in cmp["compare"]["tasks"].values():
        assert {"ckepe-description", "class-names", "random-words", "shuffled-ckepe",
                "ptbxl-report"} <= set(t["sets"])  # --extra: the report-style file  # fmt: skip
    assert "passing `--checkpoint DIR`" in (res / "study_ptbxl_sample_compare.md").read_text()
    leads = json.loads((res / "study_ptbxl_sample_leads.json").read_text())
    assert set(leads["lead_sweep"]) == {"super"}  # --quick: one task (the full run: all four)
    subsets = [r["subset"] for r in leads["lead_sweep"]["super"]["rows"]]
    assert subsets[0] == "all12" and "I" in subsets and len(subsets) == len(set(subsets))
    leads_md = (res / "study_ptbxl_sample_leads.md").read_text()
    assert "| leads | n | super | sub | form | rhythm |" in leads_md
    assert (res / "study_ptbxl_sample_leads.png").read_bytes()[:4] == b"\x89PNG"
    manifest = json.loads((tmp_path / "work" / "caches" / "train-en" / "manifest.json").read_text())
    assert manifest["fs"] == 100 and manifest["shape"][-1] == 1000  # the study's sampling rate
    reports = ECGCache(tmp_path / "work" / "caches" / "train-en").reports
    assert reports is not None and reports[0].startswith("sinus")  # the English variant trained on


def test_committed_study_lead_sweep_covers_every_task() -> None:
    """The full run's lead sweep (BENCHMARKS.md): every task, all 12 leads first, each subset
    once, and zeroing leads never scores a subset from outside the 12 leads."""
    leads = json.loads((REPO / "benchmarks" / "results" / "study_ptbxl_sample_leads.json")
                       .read_text())  # fmt: skip
    assert set(leads["lead_sweep"]) == set(TASKS)
    for task in TASKS:
        rows = leads["lead_sweep"][task]["rows"]
        subsets = [r["subset"] for r in rows]
        assert subsets[0] == "all12" and len(subsets) == len(set(subsets)) >= 5
        assert all(1 <= r["n_leads"] <= 12 for r in rows)


def _macro_sklearn(y: np.ndarray, s: np.ndarray) -> float:
    """Macro ROC AUC over the classes with positives and negatives, by scikit-learn."""
    from sklearn.metrics import roc_auc_score

    aucs = []
    for j in range(y.shape[1]):
        known = ~np.isnan(y[:, j])
        yj = y[known, j]
        if 0 < yj.sum() < len(yj):
            aucs.append(roc_auc_score(yj, s[known, j]))
    return float(np.mean(aucs))


def test_paired_difference_pools_seeds_as_the_mean_of_per_seed_differences() -> None:
    from studies.ptbxl_sample.paired import paired_differences

    rng = np.random.default_rng(0)
    n, c = 60, 4
    y = (rng.random((n, c)) < 0.3).astype(np.float32)
    y[:, 3] = 0  # a class without positives is left out, as scikit-learn cannot score it
    seeds = []
    for _ in range(2):
        names = rng.random((n, c)).astype(np.float32)
        ckepe = (names + 0.8 * y).astype(np.float32)  # better than names, by construction
        seeds.append({"y/super/10": y, "merl-de/super/names/10": names,
                      "merl-de/super/ckepe-term/10": ckepe})  # fmt: skip
    diffs = paired_differences(seeds, n_bootstrap=200)
    assert [(d["encoder"], d["task"], d["fold"], d["a"]) for d in diffs if d["b"] == "names"] == [
        ("merl-de", "super", 10, "ckepe-term")
    ]
    d = diffs[0]
    expect = np.mean(
        [
            _macro_sklearn(y, s["merl-de/super/ckepe-term/10"])
            - _macro_sklearn(y, s["merl-de/super/names/10"])
            for s in seeds
        ]
    )
    assert d["difference"] == pytest.approx(expect, abs=1e-9)
    assert d["n_seeds"] == 2 and d["n_classes"] == 6  # 3 evaluable classes × 2 seeds
    assert d["excludes_zero"] and d["ci"][0] > 0  # resolved: CKEPE is better here


def test_compare_prompts_takes_a_flat_file_as_one_more_arm() -> None:
    """``compare-prompts --extra`` reads any prompt file: a published-style flat file
    (label → text) becomes one arm with its own text per class, beside the CKEPE sets."""
    from merl_core.eval.compare import prompt_sets
    from merl_core.eval.prompts import read_prompts

    flat_path = REPO / "benchmarks" / "data" / "merl_protocol_flat.json"
    flat = json.loads(flat_path.read_text())
    table = read_prompts(REPO / "prompts" / "ptbxl.json")
    labels = ["HYP", "NORM", "MI", "CD", "STTC"]
    sets = prompt_sets(
        table, labels, "super", ["word"] * 50, 0, {"published": read_prompts(flat_path)}
    )
    assert sets["published"] == [[flat[k]] for k in labels]
    assert sets["ckepe-description"] != sets["published"]
