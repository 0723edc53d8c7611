"""Study statistics that can tell prompt sets apart: paired bootstrap CIs of AUC differences.

Per pretrained encoder and task, each CKEPE arm and each control minus bare class names, on
the same test records (fold 10) and, as a check, on fold 9. Seeds are pooled by placing each
seed's classes side by side as columns of one (records × seeds·classes) matrix: the macro AUC
is then the mean over seeds of each seed's macro AUC, and the bootstrap draws records, the same
draws for every seed and both arms (:func:`merl_core.eval.paired.paired_auc_difference`).
The verdict sentences are computed from those CIs, not from the seed spread.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from _study_setup import ARM_TITLES, CONTROL_ARMS, REPORT_VARIANTS, TASKS

COMPARED = ("ckepe-term", "ckepe-llm-desc", "ckepe-llm-phrases", *CONTROL_ARMS)
FOLDS = (10, 9)


def pooled(seed_scores: list[dict[str, np.ndarray]], enc: str, task: str, arm: str,
           fold: int) -> tuple[np.ndarray, np.ndarray] | None:  # fmt: skip
    """(labels, scores) of every seed side by side as columns, or None if a seed lacks them."""
    ys, ss = [], []
    for sc in seed_scores:
        key, ykey = f"{enc}/{task}/{arm}/{fold}", f"y/{task}/{fold}"
        if key not in sc or ykey not in sc:
            return None
        ys.append(sc[ykey])
        ss.append(sc[key])
    if not ys:
        return None
    return np.hstack(ys), np.hstack(ss)


def paired_differences(seed_scores: list[dict[str, np.ndarray]], n_bootstrap: int,
                       seed: int = 0) -> list[dict[str, Any]]:  # fmt: skip
    """Every (encoder, task, fold, arm − names) difference with its 95 % paired CI."""
    from merl_core.eval.paired import paired_auc_difference

    out = []
    for enc in (f"merl-{v}" for v in REPORT_VARIANTS):
        for task in TASKS:
            for fold in FOLDS:
                base = pooled(seed_scores, enc, task, "names", fold)
                if base is None:
                    continue
                for arm in COMPARED:
                    got = pooled(seed_scores, enc, task, arm, fold)
                    if got is None:
                        continue
                    d = paired_auc_difference(base[0], got[1], base[1], names=(arm, "names"),
                                              n_bootstrap=n_bootstrap, seed=seed)  # fmt: skip
                    out.append({"encoder": enc, "task": task, "fold": fold,
                                "n_seeds": len(seed_scores), **d.to_dict()})  # fmt: skip
    return out


def _verdict(d: dict[str, Any]) -> str:
    if d["ci"] is None:
        return "no CI"
    if not d["excludes_zero"]:
        return "no difference shown"
    return "better than names" if d["difference"] > 0 else "worse than names"


def _fmt(d: dict[str, Any]) -> str:
    ci = f" [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}]" if d["ci"] else ""
    return f"{d['difference']:+.3f}{ci}"


def differences_text(diffs: list[dict[str, Any]], titles: dict[str, str]) -> str:
    """Markdown: one line per encoder and task, fold 10 with the fold-9 check beside it."""
    if not diffs:
        return "No paired differences: no seed saved its scores."
    by = {(d["encoder"], d["task"], d["fold"], d["a"]): d for d in diffs}
    lines = []
    for enc in dict.fromkeys(d["encoder"] for d in diffs):
        for task in TASKS:
            parts = []
            for arm in COMPARED:
                d10, d9 = by.get((enc, task, 10, arm)), by.get((enc, task, 9, arm))
                if d10 is None:
                    continue
                s = f"{ARM_TITLES[arm]} {_fmt(d10)} → {_verdict(d10)}"
                if d9 is not None:
                    agree = _verdict(d9) == _verdict(d10)
                    s += f" (fold 9: {_fmt(d9)}, {'same' if agree else 'another'} verdict)"
                parts.append(s)
            if parts:
                lines.append(f"- {titles[enc]}, **{task}** (− bare names, 95 % paired CI): "
                             + "; ".join(parts))  # fmt: skip
    return "\n".join(lines)


def summary_sentence(diffs: list[dict[str, Any]]) -> str:
    """What the CIs allow to conclude, counted over encoders × tasks on fold 10."""
    main = [d for d in diffs if d["fold"] == 10]
    if not main:
        return "Nothing can be concluded: no paired differences."
    parts = []
    for group, arms in (("CKEPE", ("ckepe-term", "ckepe-llm-desc", "ckepe-llm-phrases")),
                        ("the controls", CONTROL_ARMS)):  # fmt: skip
        ds = [d for d in main if d["a"] in arms]
        if not ds:
            continue
        up = sum(bool(d["excludes_zero"]) and d["difference"] > 0 for d in ds)
        down = sum(bool(d["excludes_zero"]) and d["difference"] < 0 for d in ds)
        parts.append(f"{group} − names: the 95 % CI lies above 0 in {up}, below 0 in {down} and "
                     f"includes 0 in {len(ds) - up - down} of {len(ds)} comparisons")  # fmt: skip
    checks = [(d, next((e for e in diffs if e["fold"] == 9 and e["encoder"] == d["encoder"]
                        and e["task"] == d["task"] and e["a"] == d["a"]), None))
              for d in main if d["excludes_zero"]]  # fmt: skip
    held = sum(1 for d, e in checks if e is not None and _verdict(e) == _verdict(d))
    tail = (f"; of the {len(checks)} resolved on fold 10, {held} get the same verdict on fold 9"
            if checks else "")  # fmt: skip
    return "; ".join(parts) + tail + "."


def macro_without_rare(per_class_auc: dict[str, float], counts: list[dict[str, Any]],
                       min_pos: int = 3) -> float | None:  # fmt: skip
    """Macro AUC over the classes with at least ``min_pos`` test positives."""
    keep = {c["label"] for c in counts if c["test"] >= min_pos}
    vals = [v for k, v in per_class_auc.items() if k in keep and v is not None]
    return float(np.mean(vals)) if vals else None
