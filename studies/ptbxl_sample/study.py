"""The measured study on the PTB-XL sample: does CKEPE beat plain class names?

Pretrains ResNet1d-18 (MERL: CMA + UMA) on folds 1–8 of the 500-record PTB-XL sample with two
report variants (the original German free text, and English statement text built from
``scp_codes``), then evaluates on folds 9 (validation: F1 thresholds, probe selection) and
10 (test) for the super, sub, form and rhythm tasks of the published split files:
zero-shot with four prompt sets (bare class names, terminology-only CKEPE, local-LLM CKEPE
description mode and phrase-mean mode), a random-init encoder, and the linear probe at 10 %
and 100 % of the training rows. Every seed pretrains and evaluates anew; mean ± std over seeds.
Whether pretraining taught zero-shot structure is judged against 20 untrained encoders (the
random-init reference, ``--random-inits N``), not against the 3 paired random-init draws.

    python -m studies.ptbxl_sample                 # full: 3 seeds (< 60 min, 2 cores)
    python -m studies.ptbxl_sample --quick         # pipeline check (1 seed, few steps)
    python -m studies.ptbxl_sample --seeds 0 1 2 --out runs/study --results-dir DIR
    python -m studies.ptbxl_sample --steps 300        # another schedule
    python -m studies.ptbxl_sample --curve 22,100,300,660,1000 --seeds 0  # curve

Writes ``<results-dir>/study_ptbxl_sample.{json,md,png}`` and ``…_random_inits.png`` (default
``benchmarks/results``);
caches, prompt files, checkpoints and per-seed results go to ``--out`` and are reused by a
rerun (an interrupted full run continues with the first unfinished seed).
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from benchmarks._common import RESULTS_DIR, write_results  # noqa: E402
from studies.ptbxl_sample.prepare import (  # noqa: E402
    TASKS,
    StudyConfig,
    check_inputs,
    prepare_caches,
    prepare_prompts,
    prompt_generator,
    prompts_key,
)

NAME = "study_ptbxl_sample"
PAIRS_PER_S = 15.0  # ResNet1d-18 at 100 Hz, batch 32, fp32 on the 2-core CPU (the plan only)
log = logging.getLogger("study")


def make_config(args: argparse.Namespace) -> StudyConfig:
    """The study configuration of the command line (``--quick`` shrinks every stage)."""
    out = Path(args.out or ("runs/study_ptbxl_sample_quick" if args.quick
                            else "runs/study_ptbxl_sample"))  # fmt: skip
    results = Path(args.results_dir) if args.results_dir else RESULTS_DIR
    if args.quick:
        cfg = StudyConfig(quick=True, seeds=args.seeds or [0], out=out, results_dir=results,
                          batch_size=8, epochs=1, max_steps=2, warmup_steps=0, train_limit=48,
                          probe_epochs=20, n_bootstrap=20, llm_task="super",
                          n_random_inits=2)  # fmt: skip
    else:
        cfg = StudyConfig(quick=False, seeds=args.seeds or [0, 1, 2], out=out,
                          results_dir=results)  # fmt: skip
    for key in (
        "epochs",
        "batch_size",
        "max_steps",
        "model",
        "warmup_steps",
        "fs",
        "n_random_inits",
        "cache_dtype",
    ):
        if getattr(args, key) is not None:
            setattr(cfg, key, getattr(args, key))
    if args.steps is not None:  # exactly this many steps: as many epochs as that takes
        cfg.max_steps, cfg.epochs = args.steps, 100_000
    return cfg


def print_plan(cfg: StudyConfig, n_train: int) -> dict[str, Any]:
    """Log the plan: pretraining steps and pairs, arms, and a time estimate."""
    steps = cfg.steps_per_run(n_train)
    runs = 2 * len(cfg.seeds)
    plan = {
        "seeds": cfg.seeds, "train_records": n_train, "batch_size": cfg.batch_size,
        "steps_per_run": steps, "pretraining_runs": runs,
        "pairs_total": runs * steps * cfg.batch_size,
        "arms_per_seed": "3 encoders × 4 tasks × (4 prompt sets + probe at "
                         + " and ".join(f"{r * 100:g} %" for r in cfg.probe_ratios) + ")",
        # ~15 pairs/s for a ResNet1d-18 step at 100 Hz (batch 32, fp32) measured by this
        # study on the 2-core CPU, plus ~3 min of evaluation per seed and ~2 min of caching and
        # prompt building (more when the local-LLM prompts must be generated), and ~20 s per
        # untrained encoder of the random-init reference
        "estimate_minutes": round(runs * steps * cfg.batch_size / PAIRS_PER_S / 60
                                  + 3 * len(cfg.seeds) + 2 + cfg.n_random_inits / 3, 1),
    }  # fmt: skip
    log.info("plan: %s", plan)
    return plan


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m studies.ptbxl_sample",
                                description=__doc__.split("\n\n")[0])  # fmt: skip
    p.add_argument("--quick", action="store_true", help="pipeline check: 1 seed, 2 steps")
    p.add_argument("--seeds", type=int, nargs="+", help="seeds (default 0 1 2; quick: 0)")
    p.add_argument("--out", help="work folder (caches, prompts, checkpoints, per-seed results)")
    p.add_argument("--results-dir", help=f"where {NAME}.json/.md/.png go (default {RESULTS_DIR})")
    p.add_argument("--epochs", type=int, help="pretraining epochs over folds 1–8")
    p.add_argument("--batch-size", type=int, help="pretraining pairs per step")
    p.add_argument("--max-steps", type=int, help="cap on pretraining steps per run")
    p.add_argument("--fs", type=int, help="sampling rate of the caches and model input (Hz)")
    p.add_argument("--model", help="ECG encoder to pretrain (a merl-core registry name)")
    p.add_argument("--cache-dtype", choices=["float32", "float16"],
                   help="storage dtype of the caches (default float32)")  # fmt: skip
    p.add_argument("--warmup-steps", type=int,
                   help="linear warm-up steps (default: 10 %% of the run, at least 2)")  # fmt: skip
    p.add_argument(
        "--steps", type=int, help="pretraining steps per run (the cosine schedule spans them)"
    )
    p.add_argument(
        "--random-inits",
        dest="n_random_inits",
        type=int,
        help="untrained encoders in the random-init reference (default 20; quick: 2)",
    )
    p.add_argument("--curve", metavar="STEPS",
                   help="learning-curve mode: comma-separated step counts, e.g. "
                        "22,100,300,660,1000 (one seed, German reports)")  # fmt: skip
    p.add_argument("--no-commands", action="store_true",
                   help="skip the user commands on the first seed's model (compare-prompts, "
                        "zeroshot --lead-sweep)")  # fmt: skip
    args = p.parse_args(argv)
    if args.steps is not None and args.steps < 1:
        p.error("--steps must be ≥ 1")
    if args.n_random_inits is not None and args.n_random_inits < 1:
        p.error("--random-inits must be ≥ 1")
    if args.curve:
        try:
            args.curve = sorted({int(x) for x in args.curve.split(",")})
        except ValueError:
            p.error(f"--curve: expected comma-separated step counts, got {args.curve!r}")
        if args.curve[0] < 1:
            p.error("--curve: step counts must be ≥ 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the study; returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s",
                        datefmt="%H:%M:%S")  # fmt: skip
    args = _parse(argv)
    cfg = make_config(args)
    check_inputs(cfg)
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    from merl_core.data.cache import ECGCache
    from studies.ptbxl_sample.run import class_counts, run_seed, task_splits

    t0 = time.perf_counter()
    caches = prepare_caches(cfg)
    t_cache = stage_seconds(cfg.out, "caches", [ECGCache(p).fingerprint for p in caches.values()],
                            time.perf_counter() - t0)  # fmt: skip
    plan = print_plan(cfg, len(ECGCache(caches["train-de"])))
    t1 = time.perf_counter()
    prompts = prepare_prompts(cfg, REPO)
    t_prompts = stage_seconds(cfg.out, "prompts", prompts_key(prompts), time.perf_counter() - t1)
    if args.curve:
        from merl_core.train.pretrain import resolve_precision
        from studies.ptbxl_sample.curve import run_curve, write_curve

        amp = resolve_precision("auto", "cpu")
        write_curve(cfg, run_curve(cfg, args.curve, caches, prompts),
                    "bf16 autocast" if amp is not None else "fp32")  # fmt: skip
        return 0
    from studies.ptbxl_sample.baseline import random_init_reference

    opened = {k: ECGCache(p) for k, p in caches.items()}
    splits = task_splits(cfg, opened)
    counts = class_counts(splits)
    ref = random_init_reference(cfg, opened["eval"], splits, prompts)
    seeds: list[dict[str, Any]] = []
    for seed in cfg.seeds:
        log.info("seed %d of %s", seed, cfg.seeds)
        seeds.append(run_seed(cfg, seed, caches, prompts))
        write_study(cfg, plan, prompts, counts, seeds, ref,
                    {"caches": t_cache, "prompts": t_prompts,
                     "wall": time.perf_counter() - t0})  # fmt: skip
    if not args.no_commands:
        from studies.ptbxl_sample.commands import run_user_commands

        run_user_commands(cfg, caches, prompts)
    return 0


def stage_seconds(out: Path, stage: str, key: Any, measured: float) -> float:
    """The work of a set-up stage: what building its products took. ``key`` names the products
    (cache fingerprints, prompt-file digests); when a ledger entry in ``<out>/stage_seconds.json``
    has the same key they were reused, and the build's time stands; else ``measured`` is."""
    import json

    from ckepe.fileio import atomic_write_text

    path = out / "stage_seconds.json"
    ledger = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    old = ledger.get(stage)
    if old and old.get("key") == key:
        return float(old["seconds"])
    ledger[stage] = {"key": key, "seconds": round(measured, 1)}
    atomic_write_text(path, json.dumps(ledger, indent=1) + "\n")
    return measured


def write_study(cfg: StudyConfig, plan: dict[str, Any], prompts: dict[str, Any],
                counts: dict[str, Any], seeds: list[dict[str, Any]], ref: dict[str, Any],
                seconds: dict[str, float]) -> None:  # fmt: skip
    """Write the JSON, Markdown and PNG from the seeds finished so far.

    ``seconds``: the work of the caches and prompts (:func:`stage_seconds`) and this
    invocation's wall time; the work of every other stage (also of seeds, pretraining runs and
    random inits reused from an earlier invocation) is added from their records, so ``total``
    is what the study costs when nothing is reused."""
    from studies.ptbxl_sample.baseline import (
        conclusions_text,
        learning_margins,
        margins_text,
        plot_reference,
    )
    from studies.ptbxl_sample.paired import differences_text, paired_differences, summary_sentence
    from studies.ptbxl_sample.report import (
        ENCODER_TITLES,
        aggregate,
        counts_text,
        headline,
        headline_text,
        plot,
        table_rows,
        verdict_text,
        verdicts,
    )
    from studies.ptbxl_sample.run import load_scores

    agg = aggregate(seeds, cfg.probe_ratios, counts)
    v = verdicts(agg)
    seed_scores = [load_scores(cfg.out / f"seed{s['seed']}" / "scores.npz") for s in seeds]
    diffs = paired_differences(seed_scores, cfg.n_bootstrap)
    head = headline(agg)
    done = [s["seed"] for s in seeds]
    partial = len(done) < len(cfg.seeds)
    png = plot(agg, cfg.results_dir / f"{NAME}.png", len(done))
    margins = learning_margins(agg, ref)
    ref_png = plot_reference(margins, ref, cfg.results_dir / f"{NAME}_random_inits.png")
    work = {"caches": seconds["caches"], "prompts": seconds["prompts"],
            "pretrain": sum(s["seconds"]["pretrain"] for s in seeds),
            "evaluate": sum(s["seconds"]["evaluate"] for s in seeds),
            "random_inits": ref["seconds"]}  # fmt: skip
    work["total"] = sum(work.values())
    work["wall_this_invocation"] = seconds["wall"]
    pre = [p for s in seeds for p in s["pretrain"].values()]
    notes = (
        ("**Partial: seeds " + ", ".join(map(str, done)) + f" of {cfg.seeds} finished.**\n\n"
         if partial else "")
        + conclusions_text(margins, diffs, counts, ENCODER_TITLES) + "\n\n"
        + f"Macro ROC AUC on fold 10 (test), mean ± std (n−1) over seeds {done} (the "
        f"random-init encoder's zero-shot rows: over its {ref['n']} untrained inits, the "
        "paired draws of the seeds among them; its probe rows: the paired draws); "
        f"{'--quick: a pipeline check, not a measurement. ' if cfg.quick else ''}"
        f"pretraining: {cfg.model} at {cfg.fs} Hz, {plan['steps_per_run']} steps × batch "
        f"{cfg.batch_size} on "
        f"{plan['train_records']} records of folds 1–8 per run; thresholds and probe selection "
        f"on fold 9. Labels: the published MERL split files filtered to the sample.\n\n"
        "**Which prompt set won** (computed from the table above): " + headline_text(head)
        + "\n\n**Does pretraining teach zero-shot structure?** Each trained encoder's seed mean "
        f"against {ref['n']} untrained encoders (init seeds {ref['seeds'][0]}–"
        f"{ref['seeds'][-1]}, the random-init zero-shot rows of the table; one init's macro AUC "
        "spreads by about ±0.05 around 0.5, so the seeds' paired draws alone are not a "
        "reference). Figure: "
        f"`{ref_png.name}`.\n\n" + margins_text(margins, ENCODER_TITLES, ref["n"])
        + "\n\n**What the paired differences allow to conclude** (each arm − bare names on the "
        f"same records, seeds pooled, {cfg.n_bootstrap} paired bootstrap draws of the test "
        "records; fold 9 as a check, nothing chosen on fold 10): " + summary_sentence(diffs)
        + "\n\n" + differences_text(diffs, ENCODER_TITLES) + "\n\nSeed spread (for "
        "reference only; the verdicts above come from the CIs):\n\n" + verdict_text(v)
        + "\n\nColumns `<task>, >2 pos.`: macro AUC over the classes with more than 2 test "
        "positives (the others are reported but their AUC is noise).\n\n**Test positives per "
        "class** (AUC of a class with ≤ 2 positives is noise):\n\n" + counts_text(counts) + "\n\n"
        + f"Pretraining: {sum(p['seconds'] for p in pre):.0f} s for {len(pre)} runs, "
        f"{sum(p['pairs_per_s'] for p in pre) / max(len(pre), 1):.2f} pairs/s on average; "
        f"loss {_mean([p['first_loss'] for p in pre]):.3f} → "
        f"{_mean([p['final_loss'] for p in pre]):.3f}. Time of the whole study (every stage, "
        f"also those reused from an earlier invocation): {work['total']:.0f} s "
        f"({work['total'] / 60:.1f} min: pretraining {work['pretrain']:.0f} s, evaluation "
        f"{work['evaluate']:.0f} s, {ref['n']} random inits {work['random_inits']:.0f} s; the "
        f"user commands below not included). Figure: `{png.name}`. "
        "Local-LLM prompts: " + (f"{prompts['llm']} ({prompts['llm_source']})"
                                 if prompts.get("llm") else str(prompts.get("llm_reason")))
    )  # fmt: skip
    extra = {
        "config": cfg.to_dict(), "plan": plan, "seeds": done, "seeds_planned": cfg.seeds,
        "partial": partial, "aggregate": agg, "verdicts": v, "headline": head,
        "class_counts": counts, "paired_differences": diffs,
        "prompt_sets": {"terminology": prompt_generator(prompts["term"]),
                        "report": prompt_generator(prompts.get("report")),
                        "local_llm": prompt_generator(prompts.get("llm")),
                        "local_llm_tasks": prompts["llm_tasks"],
                        "local_llm_reason": prompts.get("llm_reason")},
        "per_seed": seeds, "seconds": {k: round(x, 1) for k, x in work.items()},
        "random_init_reference": {k: v for k, v in ref.items() if k != "per_class"},
        "learning_margins": margins,
        "figure": str(png), "tasks": list(TASKS),
    }  # fmt: skip
    rows = table_rows(agg, cfg.probe_ratios, ref, counts)
    write_results(NAME, "Study: zero-shot CKEPE vs class names on the PTB-XL sample (macro AUC)",
                  rows, notes=notes, extra=extra, results_dir=cfg.results_dir)  # fmt: skip


def _mean(values: list[Any]) -> float:
    good = [float(v) for v in values if v is not None]
    return sum(good) / len(good) if good else float("nan")
