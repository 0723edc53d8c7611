"""Study set-up stages: the plan, the prepared caches (two report variants) and the prompt sets.

Used by :mod:`studies.ptbxl_sample.study`; every stage reuses what an earlier run left in the work
folder when its inputs are unchanged (caches by fingerprint, prompt files by existence).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from merl_core.paths import shared_data_root

log = logging.getLogger("study")

TASKS = ("super", "sub", "form", "rhythm")
TASK_DIRS = {"super": "super_class", "sub": "sub_class", "form": "form", "rhythm": "rhythm"}
REPORT_VARIANTS = ("de", "en")  # original German free text, English statement text
VARIANT_TITLES = {"de": "German free-text reports", "en": "English statement text"}
PROMPT_ARMS = ("names", "ckepe-term", "ckepe-report", "ckepe-llm-desc", "ckepe-llm-phrases")
ARM_TITLES = {
    "names": "bare class names",
    "ckepe-term": "CKEPE criteria style (terminology-only)",
    "ckepe-report": "CKEPE report style (terminology-only)",
    "ckepe-llm-desc": "CKEPE local LLM (description)",
    "ckepe-llm-phrases": "CKEPE local LLM (phrase mean)",
    "control-random-words": "control: random words, CKEPE lengths",
    "control-shuffled": "control: CKEPE texts shuffled between classes",
}
# Controls of the prompt comparison, built from the terminology-only CKEPE descriptions.
CONTROL_ARMS = ("control-random-words", "control-shuffled")
TRAIN_FOLDS = tuple(range(1, 9))
EVAL_FOLDS = (9, 10)


@dataclass
class StudyConfig:
    """Everything that decides a study run (recorded in the results)."""

    quick: bool
    seeds: list[int]
    out: Path
    results_dir: Path
    model: str = "resnet1d18"
    # Sampling rate of every cache and of the model's input (10 s records): 100 Hz, as in the
    # PTB-XL benchmark of Strodthoff et al. (2021), makes a ResNet1d-18 step ~2.5× cheaper
    # than 500 Hz on a 2-core CPU, so 3 seeds × 2 report variants fit in an hour.
    fs: int = 100
    batch_size: int = 32
    epochs: int = 10  # the knee of the learning curve (110 steps at batch 32 on 353 records)
    max_steps: int | None = None
    lr: float = 1e-3
    warmup_steps: int | None = None  # None: 10 % of the run's steps, at least 2
    train_limit: int | None = None  # quick: first N training-fold records only
    probe_ratios: tuple[float, ...] = (0.1, 1.0)
    probe_epochs: int = 200
    n_bootstrap: int = 200
    n_random_inits: int = 20  # untrained encoders of the random-init reference (baseline.py)
    llm_task: str | None = None  # quick: build the local-LLM prompts for one task only
    eval_batch: int = 32
    workers: int = 2
    cache_dtype: str = "float32"  # storage dtype of the caches (float16: half the disk)
    data_root: Path = field(default_factory=lambda: shared_data_root())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready copy."""
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}

    @property
    def model_overrides(self) -> dict[str, Any]:
        """Model config keys the study sets (the input length of ``fs``)."""
        return {"num_samples": 10 * self.fs}

    def steps_per_run(self, n_train: int) -> int:
        """Pretraining steps of one run on ``n_train`` records (the last partial batch dropped)."""
        return min(self.max_steps or 10**9, self.epochs * max(n_train // self.batch_size, 1))

    def warmup_for(self, n_train: int) -> int:
        """Warm-up steps: as configured, else 10 % of the run (at least 2)."""
        if self.warmup_steps is not None:
            return self.warmup_steps
        return max(2, self.steps_per_run(n_train) // 10)

    @property
    def ptbxl_root(self) -> Path:
        return self.data_root / "ptbxl-sample"

    @property
    def splits_root(self) -> Path:
        return self.data_root / "merl-splits" / "ptbxl"

    def split_file(self, task: str, part: str) -> Path:
        """The published split file of ``task`` and ``part`` (train/val/test)."""
        d = TASK_DIRS[task]
        return self.splits_root / d / f"ptbxl_{d}_{part}.csv"


def check_inputs(cfg: StudyConfig) -> None:
    """Fail early, with one line naming the missing input."""
    needed = [cfg.ptbxl_root / "ptbxl_database.csv", cfg.ptbxl_root / "scp_statements.csv"]
    needed += [cfg.split_file(t, p) for t in TASKS for p in ("train", "val", "test")]
    for path in needed:
        if not path.exists():
            raise SystemExit(f"error: {path}: not found (set MERL_DATA_ROOT to the shared data)")


# ----------------------------------------------------------------------------- caches
def _subset(src: Any, keep: list[int]) -> Any:
    info = {k: ([v[i] for i in keep] if isinstance(v, list) and len(v) == len(src.records)
                else v) for k, v in src.info.items()}  # fmt: skip
    return replace(src, records=[src.records[i] for i in keep], labels=src.labels[keep],
                   info=info, extra_tasks={k: (n, m[keep]) for k, (n, m) in
                                           src.extra_tasks.items()})  # fmt: skip


def prepare_caches(cfg: StudyConfig) -> dict[str, Path]:
    """``train-de``, ``train-en`` (folds 1–8, one per report variant) and ``eval`` (9–10)."""
    from merl_core.data.prepare import prepare_source
    from merl_core.data.preprocess import PreprocessConfig
    from merl_core.data.ptbxl import ptbxl_source
    from merl_core.data.reports_en import english_reports_for_root

    src = ptbxl_source(cfg.ptbxl_root)
    folds = src.info["strat_fold"]
    train = [i for i, f in enumerate(folds) if f in TRAIN_FOLDS][: cfg.train_limit]
    evalr = [i for i, f in enumerate(folds) if f in EVAL_FOLDS]
    english = english_reports_for_root(cfg.ptbxl_root)
    de = _subset(src, train)
    en = replace(de, records=[replace(r, report=english[r.id]) for r in de.records])
    plan = {"train-de": (de, "de"), "train-en": (en, "en"), "eval": (_subset(src, evalr), "de")}
    out: dict[str, Path] = {}
    for name, (source, variant) in plan.items():
        params = {"study": "ptbxl-sample", "part": name, "reports": variant,
                  "root": str(cfg.ptbxl_root.resolve())}  # fmt: skip
        out[name] = prepare_source(source, cfg.out / "caches" / name, workers=cfg.workers,
                                   cfg=PreprocessConfig(fs=cfg.fs, length=10 * cfg.fs),
                                   dtype=cfg.cache_dtype, params=params,
                                   progress=True)  # fmt: skip
    return out


# ----------------------------------------------------------------------------- prompts
def console_script(name: str, fallback: list[str]) -> list[str]:
    """The argv prefix that runs the console script ``name``: the one beside this interpreter,
    else the one on PATH, else this interpreter with ``fallback`` arguments."""
    exe = Path(sys.executable).parent / name
    if exe.exists():
        return [str(exe)]
    found = shutil.which(name)
    return [found] if found else [sys.executable, *fallback]


def _build_prompts(out: Path, llm: str, task: str | None, log_path: Path,
                   style: str = "criteria") -> str | None:  # fmt: skip
    """Run ``ckepe build-prompts``; None on success, else the reason (last error line)."""
    cmd = [
        *console_script("ckepe", ["-c", "from ckepe.cli import app; app()"]),
        "build-prompts",
        "--dataset",
        "ptbxl",
        "--llm",
        llm,
        "--out",
        str(out),
        "--style",
        style,
    ]
    if task:
        cmd += ["--task", task]
    log.info("building prompts: %s", " ".join(cmd))
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    with open(log_path, "w", encoding="utf-8") as fh:
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, check=False)
    if proc.returncode == 0 and out.exists():
        return None
    lines = [ln for ln in log_path.read_text(errors="replace").splitlines() if ln.strip()]
    return f"ckepe build-prompts --llm {llm} failed (exit {proc.returncode}): " + (
        lines[-1] if lines else "no output"
    )


def _backend(path: Path) -> str | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))["generator"]["llm_backend"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def prepare_prompts(cfg: StudyConfig, repo: Path) -> dict[str, Any]:
    """Paths of the terminology-only and local-LLM prompt files (built when needed).

    Returns ``{"term": path, "llm": path | None, "llm_reason": str | None, "llm_tasks": [...],
    "llm_source": "repository" | "built"}``.
    """
    pdir = cfg.out / "prompts"
    pdir.mkdir(parents=True, exist_ok=True)
    term = pdir / "ptbxl-terminology.json"
    report = pdir / "ptbxl-report.json"
    info: dict[str, Any] = {"term": term, "report": report, "llm": None, "llm_reason": None,
                            "llm_tasks": list(TASKS), "llm_source": None}  # fmt: skip
    # rebuilt every run (2 s, deterministic): a changed knowledge base never leaves a stale set;
    # results computed from it are keyed by its content (:func:`prompts_key`)
    reason = _build_prompts(term, "none", None, pdir / "build-terminology.log") or (
        _build_prompts(report, "none", None, pdir / "build-report.log", style="report")
    )
    if reason:
        raise SystemExit(f"error: {reason}")
    shipped = repo / "prompts" / "ptbxl.json"
    if not cfg.quick and shipped.exists() and _backend(shipped) == "local":
        info.update(llm=shipped, llm_source="repository")
        return info
    task = cfg.llm_task
    llm = pdir / (f"ptbxl-local-{task}.json" if task else "ptbxl-local.json")
    reason = None
    if not llm.exists():
        reason = _build_prompts(llm, "local", task, pdir / "build-local.log")
    if reason:
        log.warning("local-LLM prompts unavailable: %s", reason)
        info.update(llm_reason=reason, llm_tasks=[])
    else:
        info.update(llm=llm, llm_source="built", llm_tasks=[task] if task else list(TASKS))
    return info


def prompts_key(prompts: dict[str, Any]) -> dict[str, str]:
    """What the prompt sets contribute to a cache key: each value, and for a file its content
    digest (a rebuilt prompt set with new texts invalidates every result scored with it)."""
    import hashlib

    out = {}
    for k, v in prompts.items():
        out[k] = str(v)
        if isinstance(v, Path) and v.is_file():
            out[f"{k}_sha256"] = hashlib.sha256(v.read_bytes()).hexdigest()[:16]
    return out


def prompt_generator(path: Path | None) -> dict[str, Any] | None:
    """The ``generator`` block and version of a prompt file (for the results)."""
    if path is None:
        return None
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return {"file": str(path), "generator": raw.get("generator"),
            "prompt_set_version": raw.get("prompt_set_version")}  # fmt: skip
