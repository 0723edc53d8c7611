"""Study run stages: pretraining per report variant and seed, zero-shot and linear-probe arms.

One seed's results are written to ``<out>/seed<S>/results.json`` as soon as they are complete,
so an interrupted full run keeps every finished seed and a rerun continues from there.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ckepe.fileio import atomic_write_text
from studies.ptbxl_sample.prepare import (
    CONTROL_ARMS,
    PROMPT_ARMS,
    REPORT_VARIANTS,
    TASKS,
    StudyConfig,
    prompts_key,
)

log = logging.getLogger("study")

ENCODERS = tuple(f"merl-{v}" for v in REPORT_VARIANTS) + ("random-init",)


# ----------------------------------------------------------------------------- pretraining
def pretrain(cfg: StudyConfig, cache: Path, variant: str, seed: int) -> dict[str, Any]:
    """Pretrain one encoder (reused when the run folder already holds its final summary)."""
    from merl_core.data.cache import ECGCache
    from merl_core.train.config import PretrainConfig
    from merl_core.train.pretrain import train

    out = cfg.out / "pretrain" / f"{variant}-seed{seed}"
    opened = ECGCache(cache)
    warmup = cfg.warmup_for(len(opened))
    key = "|".join(str(p) for p in (cfg.model, cfg.fs, cfg.batch_size, cfg.epochs,
                                    cfg.max_steps, cfg.lr, warmup, opened.fingerprint))  # fmt: skip
    done = out / "study_summary.json"
    if done.exists():
        summary = json.loads(done.read_text(encoding="utf-8"))
        if summary.get("config_key") == key:
            log.info("pretrain %s seed %d: reused %s", variant, seed, summary["checkpoint"])
            return summary
    key_file = out / "study_key.txt"
    if out.exists() and (not key_file.exists() or key_file.read_text() != key):
        shutil.rmtree(out)  # another configuration's run: never resume from it
    out.mkdir(parents=True, exist_ok=True)
    key_file.write_text(key)
    pcfg = PretrainConfig(
        model=cfg.model, cache=cache, out=out, epochs=cfg.epochs, max_steps=cfg.max_steps,
        batch_size=cfg.batch_size, lr=cfg.lr, warmup_steps=warmup, seed=seed,
        tensorboard=False, progress=True, precision="auto", resume="auto", log_every=1,
        model_overrides=cfg.model_overrides,
    )  # fmt: skip
    t0 = time.perf_counter()
    result = train(pcfg)
    seconds = time.perf_counter() - t0
    steps_run = result["steps"] - result["start_step"]
    summary = {
        "variant": variant, "seed": seed, "checkpoint": result["checkpoint"],
        "steps": result["steps"], "batch_size": cfg.batch_size, "seconds": round(seconds, 1),
        "pairs_per_s": round(steps_run * cfg.batch_size / max(seconds, 1e-9), 2),
        "final_loss": result["final"].get("loss"), "config_key": key,
        "first_loss": _first_loss(out),
    }  # fmt: skip
    atomic_write_text(done, json.dumps(summary, indent=1, default=str) + "\n")
    return summary


def _first_loss(run: Path) -> float | None:
    try:
        with open(run / "metrics.jsonl", encoding="utf-8") as fh:
            return float(json.loads(fh.readline())["loss"])
    except (OSError, ValueError, KeyError):
        return None


# ----------------------------------------------------------------------------- evaluation data
def task_splits(cfg: StudyConfig, caches: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per task: train rows (train cache), val and test rows (eval cache), label columns by name."""
    from merl_core.eval.evalsets import EvalSplit, read_split_file, select_split

    out: dict[str, dict[str, Any]] = {}
    for task in TASKS:
        parts = {}
        for part, cache in (("train", caches["train-de"]), ("val", caches["eval"]),
                            ("test", caches["eval"])):  # fmt: skip
            parts[part] = select_split(cache.ids, None, None,
                                       read_split_file(cfg.split_file(task, part)))  # fmt: skip
        names = parts["test"].label_names
        for part in ("train", "val"):  # the published sub-class train file permutes columns
            sp = parts[part]
            if sp.label_names != names:
                cols = [sp.label_names.index(n) for n in names]
                parts[part] = EvalSplit(sp.indices, sp.labels[:, cols], names, sp.info)
        out[task] = parts
    return out


def class_counts(splits: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per task and class: positives in train/val/test and whether the test AUC is evaluable."""
    out: dict[str, Any] = {}
    for task, parts in splits.items():
        test = parts["test"]
        rows = []
        for j, name in enumerate(test.label_names):
            pos = {p: int(np.nansum(parts[p].labels[:, j] == 1)) for p in parts}
            n_test = int(np.sum(~np.isnan(test.labels[:, j])))
            rows.append({"label": name, "train": pos["train"], "val": pos["val"],
                         "test": pos["test"],
                         "evaluable": 0 < pos["test"] < n_test})  # fmt: skip
        out[task] = {"n": {p: len(parts[p].indices) for p in parts}, "classes": rows}
    return out


# ----------------------------------------------------------------------------- one seed
def random_init_encoder(cfg: StudyConfig, seed: int) -> Any:
    """The untrained encoder of ``seed``: random ECG encoder and projections, the text backbone
    with its pretrained weights (so zero-shot measures what pretraining adds). The same draw
    for the paired arm, the learning curve's step 0 and the random-init reference."""
    from merl_core.models import create_model

    torch.manual_seed(seed)
    return create_model(cfg.model, **cfg.model_overrides).eval()


def _encoders(cfg: StudyConfig, ckpts: dict[str, str], seed: int) -> dict[str, Any]:
    from merl_core.train.checkpoint import load_model

    models = {f"merl-{v}": load_model(ckpts[v]).eval() for v in REPORT_VARIANTS}
    models["random-init"] = random_init_encoder(cfg, seed)
    return models


def _auc_record(res: Any) -> dict[str, Any]:
    r = res.result
    rec: dict[str, Any] = {
        "macro_auc": r.macro_auc, "macro_auc_ci": list(r.macro_auc_ci) if r.macro_auc_ci else None,
        "macro_f1": r.macro_f1, "n_records": r.n_records,
        "evaluable": [c.label for c in r.classes if c.status == "ok"],
        "per_class_auc": {c.label: c.auc for c in r.classes if c.auc is not None},
    }  # fmt: skip
    if r.macro_auc is None:
        rec["reason"] = "no test class with both positives and negatives"
    return rec


class _FixedTexts:
    """A prompt table of given texts per class (the controls), as zero-shot reads one."""

    def __init__(self, name: str, texts: dict[str, str]) -> None:
        self.path, self.version, self._texts = f"control:{name}", name, texts

    def texts(self, labels: list[str], mode: str = "description",
              task: str | None = None) -> list[list[str]]:  # fmt: skip
        return [[self._texts[lab]] for lab in labels]


def control_tables(term: Any, labels: list[str], task: str, vocab: list[str],
                   seed: int) -> dict[str, Any]:  # fmt: skip
    """The two controls from the terminology-only CKEPE descriptions of ``task``: as many
    random words as each description has, and the descriptions shuffled between classes."""
    from merl_core.eval.compare import random_words_like, shuffled_between_classes

    desc = [t[0] for t in term.texts(labels, "description", task)]
    made = {"control-random-words": random_words_like(desc, vocab, seed),
            "control-shuffled": shuffled_between_classes(desc, seed)}  # fmt: skip
    return {k: _FixedTexts(k, dict(zip(labels, v, strict=True))) for k, v in made.items()}


def zeroshot_arms(cfg: StudyConfig, model: Any, cache: Any, bank: Any, splits: dict[str, Any],
                   prompts: dict[str, Any], seed: int,
                   scores: dict[str, np.ndarray]) -> dict[str, Any]:  # fmt: skip
    """Every prompt arm and control on fold 10 (the result) and fold 9 (the check); the
    scores of both folds go into ``scores`` (``task/arm/fold``, labels ``y/task/fold``)."""
    from merl_core.eval.compare import word_vocabulary
    from merl_core.eval.prompts import read_prompts
    from merl_core.eval.runner import zeroshot_on_cache

    term = read_prompts(prompts["term"])
    report = read_prompts(prompts["report"]) if prompts.get("report") else None
    llm = read_prompts(prompts["llm"]) if prompts.get("llm") else None
    vocab = word_vocabulary(model.text.tokenizer)
    arms: dict[str, Any] = {"names": (term, "name"), "ckepe-term": (term, "description"),
                            "ckepe-report": (report, "description"),
                            "ckepe-llm-desc": (llm, "description"),
                            "ckepe-llm-phrases": (llm, "phrases")}  # fmt: skip
    out: dict[str, Any] = {}
    for task in TASKS:
        labels = splits[task]["test"].label_names
        ctl = control_tables(term, labels, task, vocab, seed)
        for arm in (*PROMPT_ARMS, *CONTROL_ARMS):
            table, mode = (ctl[arm], "description") if arm in ctl else arms[arm]
            if table is None or (arm.startswith("ckepe-llm") and task not in prompts["llm_tasks"]):
                why = prompts.get("llm_reason") or (
                    f"--quick: local-LLM prompts built for {', '.join(prompts['llm_tasks'])} only"
                )
                out[f"{task}/{arm}"] = {"macro_auc": None, "reason": why}
                continue
            for fold, test, val in ((10, "test", "val"), (9, "val", None)):
                res = zeroshot_on_cache(
                    model, cache, table, name=f"ptbxl-{task}", test=splits[task][test],
                    val=splits[task][val] if val else None, prompt_mode=mode,
                    n_bootstrap=cfg.n_bootstrap if fold == 10 else 0, seed=seed,
                    batch_size=cfg.eval_batch, device="cpu", bank=bank,
                )  # fmt: skip
                scores[f"{task}/{arm}/{fold}"] = np.asarray(res.scores, dtype=np.float32)
                scores[f"y/{task}/{fold}"] = np.asarray(res.y, dtype=np.float32)
                if fold == 10:
                    out[f"{task}/{arm}"] = _auc_record(res)
    return out


def _probe_arms(cfg: StudyConfig, banks: dict[str, Any], splits: dict[str, Any],
                seed: int) -> dict[str, Any]:  # fmt: skip
    from merl_core.eval.probe import run_probe
    from merl_core.eval.report import TaskOutput

    out: dict[str, Any] = {}
    for task in TASKS:
        parts = splits[task]
        feats = {"train": banks["train-de"].get(parts["train"].indices, progress=False),
                 "val": banks["eval"].get(parts["val"].indices, progress=False),
                 "test": banks["eval"].get(parts["test"].indices, progress=False)}  # fmt: skip
        labels = {p: parts[p].labels for p in parts}
        for ratio in cfg.probe_ratios:
            key = f"{task}/probe-{ratio * 100:g}%"
            res, s_test, fit = run_probe(feats, labels, parts["test"].label_names, ratio=ratio,
                                         seed=seed, n_bootstrap=cfg.n_bootstrap,
                                         epochs=cfg.probe_epochs)  # fmt: skip
            rec = _auc_record(TaskOutput(key, res, labels["test"], s_test))
            rec["probe"] = fit
            out[key] = rec
    return out


def run_seed(cfg: StudyConfig, seed: int, cache_paths: dict[str, Path],
             prompts: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """Pretrain both variants and evaluate every arm for one seed (reused when done)."""
    from merl_core.data.cache import ECGCache
    from merl_core.eval.zeroshot import FeatureBank

    path = cfg.out / f"seed{seed}" / "results.json"
    skip = ("seeds", "results_dir", "n_random_inits")  # none of them changes a seed's result
    key = {"config": {k: v for k, v in cfg.to_dict().items() if k not in skip},
           "prompts": prompts_key(prompts),
           "arms": [*PROMPT_ARMS, *CONTROL_ARMS], "scores": "scores.npz"}  # fmt: skip
    if path.exists():
        old = json.loads(path.read_text(encoding="utf-8"))
        if old.get("key") == json.loads(json.dumps(key, default=str)):
            log.info("seed %d: results reused from %s", seed, path)
            return old
    t0 = time.perf_counter()
    pre = {v: pretrain(cfg, cache_paths[f"train-{v}"], v, seed) for v in REPORT_VARIANTS}
    t_pre = time.perf_counter() - t0
    caches = {k: ECGCache(p) for k, p in cache_paths.items()}
    splits = task_splits(cfg, caches)
    models = _encoders(cfg, {v: pre[v]["checkpoint"] for v in REPORT_VARIANTS}, seed)
    arms: dict[str, Any] = {}
    scores: dict[str, np.ndarray] = {}
    for enc, model in models.items():
        log.info("seed %d: evaluating %s", seed, enc)
        # Unnormalised features serve both: zero-shot scoring normalises them itself.
        banks = {name: FeatureBank(model, caches[name].signals, batch_size=cfg.eval_batch,
                                   normalize=False) for name in ("train-de", "eval")}  # fmt: skip
        enc_scores: dict[str, np.ndarray] = {}
        zs = zeroshot_arms(cfg, model, caches["eval"], banks["eval"], splits, prompts, seed,
                            enc_scores)  # fmt: skip
        scores.update({(k if k.startswith("y/") else f"{enc}/{k}"): v
                       for k, v in enc_scores.items()})  # fmt: skip
        for k, v in {**zs, **_probe_arms(cfg, banks, splits, seed)}.items():
            arms[f"{enc}/{k}"] = v
    save_scores(path.with_name("scores.npz"), scores)
    result = {"seed": seed, "key": key, "pretrain": pre, "arms": arms,
              # the pretraining runs' own time (also when reused from an earlier invocation)
              "seconds": {"pretrain": round(sum(p["seconds"] for p in pre.values()), 1),
                          "evaluate": round(time.perf_counter() - t0 - t_pre, 1)}}  # fmt: skip
    atomic_write_text(path, json.dumps(result, indent=1, default=str) + "\n")
    return json.loads(json.dumps(result, default=str))


def save_scores(path: Path, scores: dict[str, np.ndarray]) -> None:
    """Zero-shot scores of every encoder/task/arm/fold and the labels, one ``.npz``."""
    import io

    from ckepe.fileio import atomic_write_bytes

    buf = io.BytesIO()
    np.savez_compressed(buf, **scores)  # type: ignore[arg-type]
    atomic_write_bytes(path, buf.getvalue())


def load_scores(path: Path) -> dict[str, np.ndarray]:
    """What :func:`save_scores` wrote (empty when the seed predates saved scores)."""
    if not path.exists():
        return {}
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def finite(x: Any) -> bool:
    """A real number (not None, not NaN)."""
    return isinstance(x, int | float) and not math.isnan(float(x))
