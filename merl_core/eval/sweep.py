"""A lead sweep: one evaluation context scored per lead subset, then one table and one plot
of AUC by subset (the cache, model and prompts opened once).

Each subset's run is a full run folder (``<out>/leads-<subset>/``); the sweep writes
``lead_sweep.json``, ``lead_sweep.md`` and ``lead_sweep.png`` beside them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ckepe.fileio import atomic_write_bytes, atomic_write_json
from merl_core.eval.context import EvalContext
from merl_core.eval.leads import subset_label

logger = logging.getLogger(__name__)


def _folder(label: str) -> str:
    return "leads-" + re.sub(r"[^A-Za-z0-9]+", "_", label)


def run_lead_sweep(
    score: Callable[[EvalContext], Any],
    ctx: EvalContext,
    subsets: Sequence[tuple[str, ...]],
    *,
    on_run: Callable[[Any], None] | None = None,
) -> Path:
    """Score ``ctx`` once per lead subset (each a run folder ``<out>/leads-<subset>/``, the
    context's data, model, prompts and class matrices shared); write the sweep table; its
    JSON path. ``on_run`` receives each run's result (also a protocol run that skipped sets).

    A protocol run that skipped sets (``MissingResultsError``) still joins the table; the
    error is raised again after the table is written.
    """
    from merl_core.eval.runner import MissingResultsError

    out = Path(ctx.config.out)
    rows: list[dict[str, Any]] = []
    pending: MissingResultsError | None = None
    doc: dict[str, Any] = {}
    for leads in subsets:
        label = subset_label(leads)
        logger.info("lead subset %s (%d leads)", label, len(leads))
        try:
            result = score(ctx.for_run(out=out / _folder(label), leads=tuple(leads)))
        except MissingResultsError as exc:
            result, pending = exc.run, exc
        if on_run is not None:
            on_run(result)
        path = Path(result)
        doc = json.loads(path.read_text(encoding="utf-8"))
        for task, t in doc["tasks"].items():
            rows.append({"subset": label, "leads": list(leads), "n_leads": len(leads),
                         "task": task, "macro_auc": t.get("macro_auc"),
                         "macro_auc_ci": t.get("macro_auc_ci"),
                         "n_records": t.get("n_records"),
                         "run": str(path.parent)})  # fmt: skip
    path = write_sweep(out, rows, doc.get("run", {}))
    if pending is not None:
        raise pending
    return path


def _fmt(row: dict[str, Any]) -> str:
    auc, ci = row["macro_auc"], row["macro_auc_ci"]
    if auc is None:
        return "–"
    return f"{auc:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


def write_sweep(out: Path, rows: list[dict[str, Any]], run: dict[str, Any]) -> Path:
    """``lead_sweep.json`` / ``.md`` / ``.png`` in ``out``; returns the JSON path."""
    out.mkdir(parents=True, exist_ok=True)
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    subsets = list(dict.fromkeys(r["subset"] for r in rows))
    doc = {"mode": f"lead-sweep/{run.get('mode', 'evaluation')}",
           "checkpoint": run.get("checkpoint"), "checkpoint_sha256": run.get("checkpoint_sha256"),
           "seed": run.get("seed"), "n_bootstrap": run.get("n_bootstrap"),
           "absent_leads": "zeroed", "rows": rows}  # fmt: skip
    path = out / "lead_sweep.json"
    atomic_write_json(path, doc)
    cell = {(r["subset"], r["task"]): r for r in rows}
    md = [f"# Lead sweep ({doc['mode']})", "",
          f"Checkpoint `{doc['checkpoint']}`; absent leads are zeroed; macro AUC with bootstrap "
          f"95 % CI ({doc['n_bootstrap']} resamples, seed {doc['seed']}).", "",
          "| leads | n | " + " | ".join(tasks) + " |",
          "|---|---:|" + "---|" * len(tasks)]  # fmt: skip
    for s in subsets:
        n = next(r["n_leads"] for r in rows if r["subset"] == s)
        md.append(f"| {s} | {n} | " + " | ".join(
            _fmt(cell[(s, t)]) if (s, t) in cell else "–" for t in tasks) + " |")  # fmt: skip
    atomic_write_bytes(out / "lead_sweep.md", ("\n".join(md) + "\n").encode())
    _plot(out / "lead_sweep.png", rows, subsets, tasks)
    logger.info("wrote %s", path)
    return path


def _plot(path: Path, rows: list[dict[str, Any]], subsets: list[str], tasks: list[str]) -> None:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(5.0, 0.9 * len(subsets) + 2), 4))
    width = 0.8 / max(1, len(tasks))
    for k, task in enumerate(tasks):
        xs, ys, lo, hi = [], [], [], []
        for i, s in enumerate(subsets):
            r = next((r for r in rows if r["subset"] == s and r["task"] == task), None)
            if r is None or r["macro_auc"] is None:
                continue
            ci = r["macro_auc_ci"] or (r["macro_auc"], r["macro_auc"])
            xs.append(i + (k - (len(tasks) - 1) / 2) * width)
            ys.append(r["macro_auc"])
            lo.append(r["macro_auc"] - ci[0])
            hi.append(ci[1] - r["macro_auc"])
        ax.errorbar(xs, ys, yerr=[lo, hi], fmt="o", capsize=3, label=task)
    ax.axhline(0.5, color="k", ls="--", lw=0.8)
    ax.set_xticks(range(len(subsets)), subsets, rotation=30, ha="right")
    ax.set(ylabel="macro AUC (95 % CI)", xlabel="leads kept (others zeroed)", ylim=(0, 1),
           title="Macro AUC by lead subset")  # fmt: skip
    ax.legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
