"""Study results: mean ± spread over seeds, the computed verdict per task, table and figure."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from studies.ptbxl_sample.paired import macro_without_rare
from studies.ptbxl_sample.prepare import (
    ARM_TITLES,
    CONTROL_ARMS,
    PROMPT_ARMS,
    REPORT_VARIANTS,
    TASKS,
    VARIANT_TITLES,
)
from studies.ptbxl_sample.run import ENCODERS, finite

ENCODER_TITLES = {**{f"merl-{v}": f"MERL ({VARIANT_TITLES[v]})" for v in REPORT_VARIANTS},
                  "random-init": "random-init encoder"}  # fmt: skip


def arm_keys(ratios: tuple[float, ...]) -> list[str]:
    """Every ``encoder/method`` reported per task, in table order."""
    methods = [*PROMPT_ARMS, *CONTROL_ARMS] + [f"probe-{r * 100:g}%" for r in ratios]
    return [f"{e}/{m}" for e in ENCODERS for m in methods]


def aggregate(seed_results: list[dict[str, Any]], ratios: tuple[float, ...],
              counts: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """Per ``encoder/method`` and task: values per seed, mean, std (n-1), or null with a reason;
    ``mean_gt2``: the mean of the macro AUC over classes with > 2 test positives."""
    out: dict[str, Any] = {}
    for key in arm_keys(ratios):
        enc, method = key.split("/", 1)
        for task in TASKS:
            recs = [r["arms"].get(f"{enc}/{task}/{method}", {}) for r in seed_results]
            vals = [rec.get("macro_auc") for rec in recs]
            good = [float(v) for v in vals if finite(v)]
            rare = [macro_without_rare(rec.get("per_class_auc") or {},
                                       (counts or {}).get(task, {}).get("classes", []))
                    for rec in recs]  # fmt: skip
            rare_ok = [v for v in rare if v is not None and finite(v)]
            entry: dict[str, Any] = {
                "encoder": enc, "method": method, "task": task,
                "seeds": [r["seed"] for r in seed_results], "per_seed": vals,
                "mean": float(np.mean(good)) if good else None,
                "std": float(np.std(good, ddof=1)) if len(good) > 1 else None,
                "n": len(good),
                "mean_gt2": float(np.mean(rare_ok)) if rare_ok else None,
            }  # fmt: skip
            if not good:
                reasons = {rec.get("reason") for rec in recs if rec.get("reason")}
                entry["reason"] = "; ".join(sorted(reasons)) or "not run"
            out[f"{key}@{task}"] = entry
    return out


def _cell(e: dict[str, Any]) -> str:
    if e["mean"] is None:
        return "n/a"
    return f"{e['mean']:.3f}" + (f" ± {e['std']:.3f}" if e["std"] is not None else "")


def table_rows(agg: dict[str, Any], ratios: tuple[float, ...], ref: dict[str, Any] | None = None,
               counts: dict[str, Any] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """One row per encoder × method, one column per task (mean ± std over seeds); with the
    random-init reference ``ref``, the random-init zero-shot rows are its mean ± std over
    inits (the paired draws stay in the JSON aggregate)."""
    from studies.ptbxl_sample.baseline import reference_entry

    rows = []
    for key in arm_keys(ratios):
        enc, method = key.split("/", 1)
        what = ARM_TITLES.get(method, f"linear probe {method.removeprefix('probe-')}")
        from_ref = ref is not None and enc == "random-init" and method in ARM_TITLES
        row: dict[str, Any] = {
            "encoder": ENCODER_TITLES[enc] + (f" ({ref['n']} inits)" if from_ref and ref else ""),
            "method": ("zero-shot: " if method in ARM_TITLES else "") + what,
        }
        for task in TASKS:
            e = agg[f"{key}@{task}"]
            if from_ref and ref is not None:
                classes = (counts or {}).get(task, {}).get("classes", [])
                e = reference_entry(ref, task, method, classes)
            row[task] = _cell(e)
            row[f"{task}, >2 pos."] = "n/a" if e.get("mean_gt2") is None else f"{e['mean_gt2']:.3f}"
        rows.append(row)
    return rows


def _paired(a: dict[str, Any], b: dict[str, Any]) -> list[float]:
    return [float(x) - float(y) for x, y in zip(a["per_seed"], b["per_seed"], strict=True)
            if finite(x) and finite(y)]  # fmt: skip


def verdicts(agg: dict[str, Any]) -> list[dict[str, Any]]:
    """Per pretrained encoder and task: the winning prompt set, its margin, and whether the
    margin exceeds the spread across seeds (larger of the two arms' std, ddof=1)."""
    out = []
    for enc in (f"merl-{v}" for v in REPORT_VARIANTS):
        for task in TASKS:
            arms = [agg[f"{enc}/{a}@{task}"] for a in PROMPT_ARMS]
            arms = [a for a in arms if a["mean"] is not None]
            if not arms:
                out.append({"encoder": enc, "task": task, "winner": None,
                            "reason": "no prompt set evaluable"})  # fmt: skip
                continue
            arms.sort(key=lambda a: -a["mean"])
            best = arms[0]
            rec: dict[str, Any] = {"encoder": enc, "task": task, "winner": best["method"],
                                   "winner_mean": best["mean"], "n_seeds": best["n"]}  # fmt: skip
            if len(arms) > 1:
                second = arms[1]
                spread = max((s for s in (best["std"], second["std"]) if s is not None),
                             default=None)  # fmt: skip
                diffs = _paired(best, second)
                rec.update(runner_up=second["method"], margin=best["mean"] - second["mean"],
                           spread=spread,
                           exceeds_spread=(None if spread is None
                                           else bool(best["mean"] - second["mean"] > spread)),
                           wins_every_seed=bool(diffs) and all(d > 0 for d in diffs))  # fmt: skip
            names = agg[f"{enc}/names@{task}"]
            if "names" not in (best["method"], rec.get("runner_up")) and names["mean"] is not None:
                rec["margin_over_names"] = best["mean"] - names["mean"]
            out.append(rec)
    return out


def headline(agg: dict[str, Any]) -> dict[str, Any]:
    """Best CKEPE prompt set vs bare class names over every pretrained encoder × task."""
    pairs = []
    for enc in (f"merl-{v}" for v in REPORT_VARIANTS):
        for task in TASKS:
            names = agg[f"{enc}/names@{task}"]
            ck = [agg[f"{enc}/{a}@{task}"] for a in PROMPT_ARMS if a != "names"]
            ck = [a for a in ck if a["mean"] is not None]
            if names["mean"] is None or not ck:
                continue
            best = max(ck, key=lambda a: a["mean"])
            spread = max((x for x in (best["std"], names["std"]) if x is not None), default=None)
            margin = best["mean"] - names["mean"]
            pairs.append({"encoder": enc, "task": task, "best_ckepe": best["method"],
                          "margin": margin, "spread": spread,
                          "exceeds": None if spread is None else margin > spread})  # fmt: skip
    return {
        "pairs": pairs,
        "ckepe_better": sum(p["margin"] > 0 for p in pairs),
        "beyond_spread": sum(bool(p["exceeds"]) for p in pairs),
        "total": len(pairs),
    }


def headline_text(h: dict[str, Any]) -> str:
    """One sentence from :func:`headline`."""
    if not h["total"]:
        return "No encoder × task pair had both bare names and a CKEPE prompt set evaluable."
    margins = [p["margin"] for p in h["pairs"]]
    known = sum(p["exceeds"] is not None for p in h["pairs"])
    spread = (f"the margin exceeds the seed spread on {h['beyond_spread']} of {known}"
              if known else "the seed spread is unknown with one seed")  # fmt: skip
    return (f"Best CKEPE prompt set vs bare class names: better on {h['ckepe_better']} of "
            f"{h['total']} encoder × task pairs (margins {min(margins):+.3f} to "
            f"{max(margins):+.3f}); {spread}.")  # fmt: skip


def verdict_text(v: list[dict[str, Any]]) -> str:
    """Markdown lines stating each verdict (generated from :func:`verdicts`)."""
    lines = []
    for r in v:
        head = f"- {ENCODER_TITLES[r['encoder']]}, **{r['task']}**: "
        if r["winner"] is None:
            lines.append(head + r["reason"] + ".")
            continue
        s = f"{ARM_TITLES[r['winner']]} won ({r['winner_mean']:.3f}"
        if "runner_up" in r:
            s += f"; +{r['margin']:.3f} over {ARM_TITLES[r['runner_up']]}"
            if r["exceeds_spread"] is None:
                s += ", spread unknown with one seed"
            else:
                verb = "exceeds" if r["exceeds_spread"] else "does not exceed"
                s += f", which {verb} the seed spread {r['spread']:.3f}"
                s += (
                    "; ahead on every seed" if r["wins_every_seed"] else "; not ahead on every seed"
                )
        if "margin_over_names" in r:
            s += f"; {r['margin_over_names']:+.3f} vs bare class names"
        lines.append(head + s + ").")
    return "\n".join(lines)


def counts_text(counts: dict[str, Any]) -> str:
    """Positives per class on the test fold, and which classes were evaluable."""
    lines = []
    for task, c in counts.items():
        ok = [f"{r['label']} {r['test']}" for r in c["classes"] if r["evaluable"]]
        bad = [r["label"] for r in c["classes"] if not r["evaluable"]]
        n = c["n"]
        lines.append(
            f"- **{task}** (rows train/val/test {n['train']}/{n['val']}/{n['test']}): "
            f"evaluable {len(ok)} of {len(c['classes'])} — test positives "
            + ", ".join(ok) + (f"; not evaluable (no test positive): {', '.join(bad)}"
                               if bad else "")
        )  # fmt: skip
    return "\n".join(lines)


def plot(agg: dict[str, Any], path: Path, n_seeds: int) -> Path:
    """Zero-shot macro AUC per task and prompt set (error bars = std over seeds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    encs = [*(f"merl-{v}" for v in REPORT_VARIANTS), "random-init"]
    fig, axes = plt.subplots(1, len(encs), figsize=(5.2 * len(encs), 4.2), sharey=True)
    x = np.arange(len(TASKS))
    width = 0.8 / len(PROMPT_ARMS)
    for ax, enc in zip(axes, encs, strict=True):
        for k, arm in enumerate(PROMPT_ARMS):
            es = [agg[f"{enc}/{arm}@{t}"] for t in TASKS]
            means = [e["mean"] if e["mean"] is not None else math.nan for e in es]
            errs = [e["std"] or 0.0 for e in es]
            pos = x + (k - (len(PROMPT_ARMS) - 1) / 2) * width
            ax.bar(pos, means, width, yerr=errs, capsize=3, label=ARM_TITLES[arm])
            for p, m in zip(pos, means, strict=True):
                if math.isnan(m):  # an arm without a value is marked, not left blank
                    ax.text(p, 0.31, "n/a", rotation=90, ha="center", va="bottom", fontsize=7)
        ax.axhline(0.5, color="grey", lw=0.8, ls="--")
        ax.set_xticks(x, TASKS)
        ax.set_ylim(0.3, 1.0)
        ax.set_xlim(-0.5, len(TASKS) - 0.5)
        ax.set_title(ENCODER_TITLES[enc], fontsize=10)
    axes[0].set_ylabel(f"macro AUC, fold 10 (mean ± std, {n_seeds} seed(s))")
    axes[-1].legend(fontsize=8, loc="upper right")
    fig.suptitle("PTB-XL sample: zero-shot macro AUC per task and prompt set", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return path
