"""The study's learning curve: zero-shot macro AUC against pretraining steps, with the time
each point costs (one seed, German reports), to choose the schedule by measurement.

Each point pretrains anew for exactly that many steps (the cosine schedule spans the run), then
evaluates every prompt set on fold 10; step 0 is the random-init encoder.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from studies.ptbxl_sample.prepare import ARM_TITLES, PROMPT_ARMS, TASKS, StudyConfig

log = logging.getLogger("study")
NAME = "study_ptbxl_sample_curve"


def _macro(arms: dict[str, Any], task: str, arm: str) -> float | None:
    v = arms.get(f"{task}/{arm}", {}).get("macro_auc")
    return None if v is None or np.isnan(v) else float(v)


def run_curve(cfg: StudyConfig, steps: list[int], caches: dict[str, Path],
              prompts: dict[str, Any]) -> list[dict[str, Any]]:  # fmt: skip
    """One row per point: steps, seconds of pretraining, macro AUC per task (names, best CKEPE)."""
    from merl_core.data.cache import ECGCache
    from merl_core.eval.zeroshot import FeatureBank
    from merl_core.train.checkpoint import load_model
    from studies.ptbxl_sample.run import pretrain, random_init_encoder, task_splits, zeroshot_arms

    seed = cfg.seeds[0]
    opened = {k: ECGCache(p) for k, p in caches.items()}
    splits = task_splits(cfg, opened)
    rows = []
    for n in [0, *steps]:
        t0 = time.perf_counter()
        if n == 0:
            model, seconds = random_init_encoder(cfg, seed), 0.0
        else:
            point = replace(cfg, out=cfg.out / "curve" / f"steps{n}", max_steps=n, epochs=100_000)
            summary = pretrain(point, caches["train-de"], "de", seed)
            model, seconds = load_model(summary["checkpoint"]).eval(), summary["seconds"]
        bank = FeatureBank(model, opened["eval"].signals, batch_size=cfg.eval_batch,
                           normalize=False)  # fmt: skip
        arms = zeroshot_arms(replace(cfg, n_bootstrap=0), model, opened["eval"], bank, splits,
                              prompts, seed, {})  # fmt: skip
        row: dict[str, Any] = {"steps": n, "pretrain_s": round(seconds, 1),
                               "pairs": n * cfg.batch_size}  # fmt: skip
        for task in TASKS:
            names = _macro(arms, task, "names")
            ck = {a: _macro(arms, task, a) for a in PROMPT_ARMS if a != "names"}
            best = max((a for a in ck if ck[a] is not None), key=lambda a: ck[a] or 0.0,
                       default=None)  # fmt: skip
            row[f"{task} names"] = names
            row[f"{task} best CKEPE"] = ck[best] if best else None
        row["eval_s"] = round(time.perf_counter() - t0 - seconds, 1)
        log.info("curve point: %s", row)
        rows.append(row)
    return rows


def write_curve(cfg: StudyConfig, rows: list[dict[str, Any]], precision: str) -> None:
    """``study_ptbxl_sample_curve.{json,md}`` in the results folder."""
    from benchmarks._common import write_results

    notes = (f"{cfg.model} at {cfg.fs} Hz, batch {cfg.batch_size}, German reports, "
             f"seed {cfg.seeds[0]}, "
             f"precision {precision}; every point pretrains anew for that many steps on folds "
             "1–8 (cosine schedule over the run) and evaluates on fold 10; step 0 is the "
             "random-init encoder. Zero-shot macro AUC with bare names and with the best of "
             f"the CKEPE prompt sets ({', '.join(ARM_TITLES[a] for a in PROMPT_ARMS[1:])}). "
             "One seed: read the trend, not single differences.")  # fmt: skip
    write_results(NAME, "Study learning curve: zero-shot macro AUC against pretraining steps",
                  rows, notes=notes, results_dir=cfg.results_dir)  # fmt: skip
