"""Evaluation outputs: ``metrics.json``, ``metrics.md``, ROC and per-class AUC PNGs, rich tables.

A run folder (``results/<run>/``) holds everything needed to read and reproduce a run:
the JSON records the checkpoint's SHA-256, the prompt-set version, the data manifest hash,
the seed and the mode beside every per-class number; ``scores_<task>.npz`` keeps the raw
labels and scores so any metric can be recomputed.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ckepe.fileio import atomic_write_bytes, sha256_file
from merl_core.eval.metrics import EvalResult

__all__ = ["TaskOutput", "rich_table", "sha256_file", "task_markdown", "write_run"]

logger = logging.getLogger(__name__)


@dataclass
class TaskOutput:
    """One evaluated task: its metrics, the raw labels and scores, and where they came from."""

    name: str
    result: EvalResult
    y: np.ndarray
    scores: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)
    ids: np.ndarray | None = None  # record ids of the rows of ``y`` and ``scores``


def _fmt(v: float | None, ci: Any = None) -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


def task_markdown(task: TaskOutput) -> str:
    """A Markdown section: the macro line and the per-class table."""
    r = task.result
    lines = [
        f"### {task.name}",
        "",
        f"Macro AUC {_fmt(r.macro_auc, r.macro_auc_ci)} over "
        f"{len(r.classes) - len(r.absent)} classes; macro F1 {_fmt(r.macro_f1, r.macro_f1_ci)}; "
        f"macro accuracy {_fmt(r.macro_accuracy)}; {r.n_records} records; thresholds from "
        f"{'validation' if r.threshold_source == 'val' else 'nowhere (no validation split)'}; "
        f"95 % CIs from {r.n_bootstrap} bootstrap resamples (seed {r.seed}).",
        "",
        "| class | positives | AUC [95 % CI] | F1 [95 % CI] | accuracy | threshold | note |",
        "|---|---:|---|---|---:|---:|---|",
    ]
    for c in r.classes:
        note = "absent: not averaged" if c.status == "absent" else ""
        if c.status == "ok" and c.few_positives:
            note = "≤ 2 positives: AUC is noise"
        lines.append(
            f"| {c.label} | {c.positives} | {_fmt(c.auc, c.auc_ci)} | {_fmt(c.f1, c.f1_ci)} | "
            f"{_fmt(c.accuracy)} | {_fmt(c.threshold)} | {note} |"
        )
    return "\n".join(lines) + "\n"


def plot_roc(path: Path, task: TaskOutput, max_curves: int = 40) -> None:
    """ROC curves of the classes present in the split (the most frequent first)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    ok = [(j, c) for j, c in enumerate(task.result.classes) if c.status == "ok"]
    ok = sorted(ok, key=lambda jc: -jc[1].positives)[:max_curves]
    fig, ax = plt.subplots(figsize=(6.5, 6))
    for j, c in ok:
        known = ~np.isnan(task.y[:, j])
        fpr, tpr, _ = roc_curve(task.y[known, j], task.scores[known, j])
        ax.plot(fpr, tpr, lw=1.2, label=f"{c.label} (AUC {c.auc:.2f}, n+={c.positives})")
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC — {task.name}")
    if ok:
        ax.legend(fontsize=6 if len(ok) > 10 else 8, loc="lower right", ncol=1 + len(ok) // 20)
    else:
        ax.text(0.5, 0.5, "no class with positives and negatives", ha="center")
    fig.tight_layout()
    _save_fig(fig, path)


def plot_auc_bars(path: Path, task: TaskOutput) -> None:
    """Per-class AUC bars with 95 % CI whiskers; absent classes shown empty and labelled."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cls = task.result.classes
    x = np.arange(len(cls))
    auc = np.array([c.auc if c.auc is not None else np.nan for c in cls])
    lo = np.array([c.auc - c.auc_ci[0] if c.auc_ci else 0.0 for c in cls])
    hi = np.array([c.auc_ci[1] - c.auc if c.auc_ci else 0.0 for c in cls])
    colors = ["tab:orange" if c.few_positives else "tab:blue" for c in cls]
    fig, ax = plt.subplots(figsize=(max(5.0, 0.35 * len(cls) + 2), 4))
    ax.bar(x, np.nan_to_num(auc), yerr=[lo, hi], color=colors, capsize=2)
    ax.axhline(0.5, color="k", ls="--", lw=0.8)
    if task.result.macro_auc is not None:
        ax.axhline(task.result.macro_auc, color="tab:green", lw=1, label="macro AUC")
        ax.legend(fontsize=8)
    names = [c.label + (" (absent)" if c.status == "absent" else "") for c in cls]
    ax.set_xticks(x, names, rotation=60, ha="right", fontsize=7)
    ax.set(ylim=(0, 1), ylabel="AUC", title=f"Per-class AUC — {task.name} (orange: ≤ 2 positives)")
    fig.tight_layout()
    _save_fig(fig, path)


def _save_fig(fig: Any, path: Path) -> None:
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def write_run(out_dir: str | Path, run_info: dict[str, Any], tasks: list[TaskOutput]) -> Path:
    """Write metrics.json, metrics.md, PNGs and raw scores of a run; return metrics.json."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "run": {**run_info, "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        "tasks": {t.name: {**t.info, **t.result.to_dict()} for t in tasks},
    }
    macro = {t.name: t.result.macro_auc for t in tasks}
    valid = [v for v in macro.values() if v is not None]
    payload["summary"] = {
        "macro_auc": macro,
        "mean_macro_auc": float(np.mean(valid)) if valid else None,
        "n_classes": sum(len(t.result.classes) for t in tasks),
    }
    for t in tasks:
        safe = t.name.replace("/", "_")
        labels = np.array([c.label for c in t.result.classes])
        arrays = {"y": t.y, "scores": t.scores, "labels": labels}
        if t.ids is not None:
            arrays["ids"] = np.asarray([str(i) for i in t.ids])
        atomic_write_bytes(out / f"scores_{safe}.npz", _npz_bytes(**arrays))
        if any(c.status == "ok" for c in t.result.classes):  # no plot of only absent classes
            plot_roc(out / f"roc_{safe}.png", t)
            plot_auc_bars(out / f"auc_{safe}.png", t)
        else:
            logger.info("%s: no class with positives and negatives; no plots drawn", t.name)
    md = [f"# {run_info.get('mode', 'evaluation')} results", ""]
    for line in run_info.get("notes") or []:
        md.append(f"> **{line}**" if line.startswith("NOT A BENCHMARK") else f"- {line}")
    if run_info.get("notes"):
        md.append("")
    for key in ("checkpoint", "checkpoint_sha256", "prompt_mode", "lead_subset", "seed"):
        if run_info.get(key) is not None:
            md.append(f"- {key}: `{run_info[key]}`")
    versions = run_info.get("prompt_set_version")
    if isinstance(versions, dict):
        md += ["", "| prompt set | version |", "|---|---|"]
        md += [f"| {k} | `{v}` |" for k, v in versions.items()]
        md.append("")
    elif versions is not None:
        md.append(f"- prompt_set_version: `{versions}`")
    if payload["summary"]["mean_macro_auc"] is not None and len(tasks) > 1:
        md.append(f"- mean macro AUC over tasks: {payload['summary']['mean_macro_auc']:.3f}")
    md.append("")
    md += [task_markdown(t) for t in tasks]
    atomic_write_bytes(out / "metrics.md", "\n".join(md).encode())
    path = out / "metrics.json"
    atomic_write_bytes(path, (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode())
    logger.info("wrote %s", path)
    return path


def _npz_bytes(**arrays: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def rich_table(task: TaskOutput) -> Any:
    """A rich Table of one task's per-class metrics (for the terminal)."""
    from rich.table import Table

    r = task.result
    table = Table(
        title=f"{task.name}: macro AUC {_fmt(r.macro_auc, r.macro_auc_ci)}",
        caption=f"{r.n_records} records; F1/accuracy at thresholds from "
        f"{'validation' if r.threshold_source == 'val' else 'nowhere'}",
    )
    for col in ("class", "n+", "AUC [95% CI]", "F1", "acc", "note"):
        table.add_column(col, justify="right" if col in ("n+", "F1", "acc") else "left")
    for c in r.classes:
        note = "absent" if c.status == "absent" else ("≤2 pos" if c.few_positives else "")
        table.add_row(
            c.label, str(c.positives), _fmt(c.auc, c.auc_ci), _fmt(c.f1), _fmt(c.accuracy), note
        )
    return table
