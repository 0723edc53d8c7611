"""float16 vs float32 cache storage, measured on the PTB-XL sample study (issue 29, item 4).

(a) Storage alone: the study's float32-pretrained encoders (``<f32>/pretrain/{de,en}-seed<S>``)
    evaluated on the study's caches stored as float32 (``<f32>/caches``) and as float16
    (``<f16>/caches``, built here by the study's own ``prepare_caches`` when missing): zero-shot
    with bare class names and with the terminology-only CKEPE descriptions, and the linear
    probe at 10 % and 100 % of the training rows; per encoder, task and arm the macro AUC
    difference float16 − float32 on the same fold-10 test records with its paired-bootstrap
    95 % CI (the same record draws for both).
(b) Pretraining on float16: when ``<f16>/pretrain/{de,en}-seed<S>`` holds a finished run
    (``python -m studies.ptbxl_sample --seeds S --cache-dtype float16 --out <f16>``),
    that encoder on the float16 caches against the float32 encoder on the float32 caches, the
    same arms and CIs. One seed: a difference there mixes the dtype with the run-to-run spread
    of training (the study's seed spread), which (a) does not have.

    nice python benchmarks/bench_dtype.py --f32 /work/runs_s0 --f16 /work/runs_f16 [--seed 0]

Writes ``benchmarks/results/bench_dtype.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from benchmarks._common import RESULTS_DIR, write_results  # noqa: E402
from studies.ptbxl_sample.prepare import (  # noqa: E402
    REPORT_VARIANTS,
    TASKS,
    StudyConfig,
    prepare_caches,
)

log = logging.getLogger("bench_dtype")
ZS_ARMS = {"names": "name", "ckepe-term": "description"}  # arm → prompt mode
ARM_TITLES = {"names": "zero-shot, bare class names", "ckepe-term": "zero-shot, CKEPE (terms)",
              "probe-10%": "linear probe 10 %", "probe-100%": "linear probe 100 %"}  # fmt: skip


def study_config(out: Path, seed: int, dtype: str) -> StudyConfig:
    """The full study's configuration (as ``python -m studies.ptbxl_sample`` without options)."""
    return StudyConfig(quick=False, seeds=[seed], out=out, results_dir=RESULTS_DIR,
                       cache_dtype=dtype)  # fmt: skip


def checkpoint(out: Path, variant: str, seed: int) -> str | None:
    """The final checkpoint of a finished study pretraining run, or None."""
    done = out / "pretrain" / f"{variant}-seed{seed}" / "study_summary.json"
    if not done.exists():
        return None
    return str(json.loads(done.read_text(encoding="utf-8"))["checkpoint"])


def scores_of(model: Any, caches: dict[str, Any], splits: dict[str, Any], term: Any,
              cfg: StudyConfig, seed: int) -> tuple[dict[str, np.ndarray], Any]:  # fmt: skip
    """Fold-10 test scores of every arm and task (``task/arm``; labels ``y/task``), and the
    eval cache's feature bank."""
    from merl_core.eval.probe import run_probe
    from merl_core.eval.runner import zeroshot_on_cache
    from merl_core.eval.zeroshot import FeatureBank

    banks = {name: FeatureBank(model, caches[name].signals, batch_size=cfg.eval_batch,
                               normalize=False) for name in ("train-de", "eval")}  # fmt: skip
    out: dict[str, np.ndarray] = {}
    for task in TASKS:
        parts = splits[task]
        for arm, mode in ZS_ARMS.items():
            res = zeroshot_on_cache(model, caches["eval"], term, name=f"ptbxl-{task}",
                                    test=parts["test"], val=parts["val"], prompt_mode=mode,
                                    n_bootstrap=0, seed=seed, batch_size=cfg.eval_batch,
                                    device="cpu", bank=banks["eval"])  # fmt: skip
            out[f"{task}/{arm}"] = np.asarray(res.scores, dtype=np.float32)
            out[f"y/{task}"] = np.asarray(res.y, dtype=np.float32)
        feats = {"train": banks["train-de"].get(parts["train"].indices, progress=False),
                 "val": banks["eval"].get(parts["val"].indices, progress=False),
                 "test": banks["eval"].get(parts["test"].indices, progress=False)}  # fmt: skip
        labels = {p: parts[p].labels for p in parts}
        for ratio in cfg.probe_ratios:
            _, s_test, _ = run_probe(feats, labels, parts["test"].label_names, ratio=ratio,
                                     seed=seed, n_bootstrap=0, epochs=cfg.probe_epochs)  # fmt: skip
            out[f"{task}/probe-{ratio * 100:g}%"] = np.asarray(s_test, dtype=np.float32)
    return out, banks["eval"]


def differences(comparison: str, encoder: str, new: dict[str, np.ndarray],
                ref: dict[str, np.ndarray], n_bootstrap: int) -> list[dict[str, Any]]:  # fmt: skip
    """float16 − float32 macro AUC per task and arm, paired bootstrap on the test records."""
    from merl_core.eval.paired import paired_auc_difference

    rows = []
    for key in sorted(k for k in ref if not k.startswith("y/")):
        task, arm = key.split("/", 1)
        d = paired_auc_difference(ref[f"y/{task}"], new[key], ref[key],
                                  names=("float16", "float32"), n_bootstrap=n_bootstrap,
                                  seed=0)  # fmt: skip
        rows.append({"comparison": comparison, "encoder": encoder, "task": task,
                     "arm": ARM_TITLES.get(arm, arm), "AUC float32": d.auc_b,
                     "AUC float16": d.auc_a, "float16 − float32": d.difference,
                     "95 % CI": f"[{d.ci[0]:+.3f}, {d.ci[1]:+.3f}]" if d.ci else "",
                     "CI excludes 0": "yes" if d.excludes_zero else "no",
                     "ci": list(d.ci) if d.ci else None,
                     "n_records": d.n_records, "n_classes": d.n_classes})  # fmt: skip
    return rows


def signal_error(c32: Any, c16: Any) -> dict[str, float]:
    """How far the float16 copy of the eval cache is from the float32 one."""
    a = np.asarray(c32.signals, dtype=np.float32)
    b = np.asarray(c16.signals, dtype=np.float32)
    err = np.abs(a - b)
    return {"max_abs": float(err.max()), "mean_abs": float(err.mean()),
            "max_abs_value": float(np.abs(a).max()),
            "rel_rms": float(np.sqrt(np.mean((a - b) ** 2)) / np.sqrt(np.mean(a**2)))}  # fmt: skip


def feature_agreement(bank32: Any, bank16: Any, rows: np.ndarray) -> dict[str, float]:
    """Cosine similarity of one encoder's ECG features from the two caches (same rows)."""
    import torch

    f32, f16 = bank32.get(rows, progress=False), bank16.get(rows, progress=False)
    cos = torch.nn.functional.cosine_similarity(f32, f16, dim=1)
    return {"min_cosine": float(cos.min()), "mean_cosine": float(cos.mean()),
            "max_rel_diff": float(((f32 - f16).norm(dim=1) / f32.norm(dim=1)).max())}  # fmt: skip


def summary_text(rows: list[dict[str, Any]], comparison: str) -> str:
    """How many CIs exclude 0, and the largest difference, of one comparison."""
    mine = [r for r in rows if r["comparison"] == comparison]
    if not mine:
        return f"{comparison}: not measured."
    above = sum(r["ci"] is not None and r["ci"][0] > 0 for r in mine)
    below = sum(r["ci"] is not None and r["ci"][1] < 0 for r in mine)
    big = max(mine, key=lambda r: abs(r["float16 − float32"]))
    widths = [r["ci"][1] - r["ci"][0] for r in mine if r["ci"]]
    width = float(np.median(widths)) if widths else float("nan")
    return (f"{comparison}: float16 − float32 macro AUC has a 95 % paired CI above 0 in "
            f"{above}, below 0 in {below} and including 0 in {len(mine) - above - below} of "
            f"{len(mine)} encoder × task × arm comparisons; largest |difference| "
            f"{big['float16 − float32']:+.4f} ({big['encoder']}, {big['task']}, {big['arm']}); "
            f"median CI width {width:.3f}.")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--f32", type=Path, required=True, help="the float32 study's --out folder")
    ap.add_argument("--f16", type=Path, required=True, help="a float16 study's --out folder")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bootstrap", type=int, default=200)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    from merl_core.data.cache import ECGCache
    from merl_core.eval.prompts import read_prompts
    from merl_core.train.checkpoint import load_model
    from studies.ptbxl_sample.run import task_splits

    t0 = time.perf_counter()
    cfg32 = study_config(args.f32, args.seed, "float32")
    cfg16 = replace(cfg32, out=args.f16, cache_dtype="float16")
    caches = {dt: {k: ECGCache(p) for k, p in prepare_caches(c).items()}
              for dt, c in (("float32", cfg32), ("float16", cfg16))}  # fmt: skip
    for name in caches["float32"]:
        assert list(caches["float32"][name].ids) == list(caches["float16"][name].ids), name
    splits = task_splits(cfg32, caches["float32"])
    term = read_prompts(args.f32 / "prompts" / "ptbxl-terminology.json")
    rows: list[dict[str, Any]] = []
    extra: dict[str, Any] = {"signal_error": signal_error(caches["float32"]["eval"],
                                                          caches["float16"]["eval"]),
                             "features": {}, "checkpoints": {}}  # fmt: skip
    test_rows = np.unique(np.concatenate([splits[t]["test"].indices for t in TASKS]))
    for variant in REPORT_VARIANTS:
        enc = f"merl-{variant}"
        ck32 = checkpoint(args.f32, variant, args.seed)
        if ck32 is None:
            log.warning("%s: no finished float32 run in %s", enc, args.f32)
            continue
        model = load_model(ck32).eval()
        ref, bank32 = scores_of(model, caches["float32"], splits, term, cfg32, args.seed)
        got, bank16 = scores_of(model, caches["float16"], splits, term, cfg32, args.seed)
        extra["features"][enc] = feature_agreement(bank32, bank16, test_rows)
        extra["checkpoints"][enc] = {"float32": ck32}
        rows += differences("(a) storage", enc, got, ref, args.bootstrap)
        ck16 = checkpoint(args.f16, variant, args.seed)
        if ck16 is not None:
            m16 = load_model(ck16).eval()
            pre, _ = scores_of(m16, caches["float16"], splits, term, cfg16, args.seed)
            extra["checkpoints"][enc]["float16"] = ck16
            rows += differences("(b) pretraining", enc, pre, ref, args.bootstrap)
    err = extra["signal_error"]
    feats = "; ".join(f"{e}: cosine ≥ {f['min_cosine']:.6f} (mean {f['mean_cosine']:.6f})"
                      for e, f in extra["features"].items())  # fmt: skip
    extra["summary"] = [summary_text(rows, "(a) storage"), summary_text(rows, "(b) pretraining")]
    notes = [
        *extra["summary"],
        f"Signals: the float16 eval cache differs from the float32 one by at most "
        f"{err['max_abs']:.2e} (mean {err['mean_abs']:.2e}; relative RMS {err['rel_rms']:.2e}; "
        f"values up to {err['max_abs_value']:.2f}). ECG features of the fold-10 test records, "
        f"float16 cache vs float32 cache, same encoder: {feats}.",
        f"Study: {cfg32.model} at {cfg32.fs} Hz pretrained by "
        f"`python -m studies.ptbxl_sample` (seed "
        f"{args.seed}, {cfg32.epochs} epochs × batch {cfg32.batch_size} on folds 1–8 of the "
        "500-record PTB-XL sample, German reports (merl-de) and English statement text "
        "(merl-en)); test = fold 10 rows of the published split files, thresholds and probe "
        f"selection on fold 9; {args.bootstrap} paired bootstrap draws of the test records; "
        f"probe {cfg32.probe_epochs} epochs. (a) one encoder, two caches: only the storage "
        "dtype differs. (b) two pretraining runs of the same seed, one per cache dtype: the "
        "difference includes the run-to-run spread of training on 353 records.",
        f"Wall time {time.perf_counter() - t0:.0f} s.",
    ]
    cols = ["comparison", "encoder", "task", "arm", "AUC float32", "AUC float16",
            "float16 − float32", "95 % CI", "CI excludes 0"]  # fmt: skip
    write_results("bench_dtype", "float16 vs float32 cache (PTB-XL sample study)", rows,
                  columns=cols, notes="\n\n".join(notes), extra=extra)  # fmt: skip


if __name__ == "__main__":
    main()
