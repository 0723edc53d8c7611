"""Study statistics that can tell prompt sets apart: paired bootstrap CIs of AUC differences.

Per pretrained encoder and task, each CKEPE arm and each control minus bare class names, and
the report-style minus the criteria-style CKEPE prompts (``STYLE_PAIRS``), on the same test
records (fold 10) and, as a check, on fold 9. Seeds are pooled by placing each
seed's classes side by side as columns of one (records × seeds·classes) matrix: the macro AUC
is then the mean over seeds of each seed's macro AUC, and the bootstrap draws records, the same
draws for every seed and both arms (:func:`merl_core.eval.paired.paired_auc_difference`).
The verdict sentences are computed from those CIs, not from the seed spread.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from studies.ptbxl_sample.prepare import ARM_TITLES, CONTROL_ARMS, REPORT_VARIANTS, TASKS

COMPARED = ("ckepe-term", "ckepe-report", "ckepe-llm-desc", "ckepe-llm-phrases", *CONTROL_ARMS)
CKEPE_ARMS = ("ckepe-term", "ckepe-report", "ckepe-llm-desc", "ckepe-llm-phrases")
STYLE_PAIRS = (("ckepe-report", "ckepe-term"),)  # report style − criteria style
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
    """Every (encoder, task, fold, arm − names) difference, and each ``STYLE_PAIRS`` difference,
    with its 95 % paired CI."""
    from merl_core.eval.paired import paired_auc_difference

    out = []
    for enc in (f"merl-{v}" for v in REPORT_VARIANTS):
        for task in TASKS:
            for fold in FOLDS:
                pairs = [(arm, "names") for arm in COMPARED] + list(STYLE_PAIRS)
                for arm, ref in pairs:
                    base = pooled(seed_scores, enc, task, ref, fold)
                    got = pooled(seed_scores, enc, task, arm, fold)
                    if base is None or got is None:
                        continue
                    d = paired_auc_difference(base[0], got[1], base[1], names=(arm, ref),
                                              n_bootstrap=n_bootstrap, seed=seed)  # fmt: skip
                    out.append({"encoder": enc, "task": task, "fold": fold,
                                "n_seeds": len(seed_scores), **d.to_dict()})  # fmt: skip
    return out


def _verdict(d: dict[str, Any]) -> str:
    if d["ci"] is None:
        return "no CI"
    if not d["excludes_zero"]:
        return "no difference shown"
    ref = "names" if d.get("b", "names") == "names" else "criteria style"
    return f"better than {ref}" if d["difference"] > 0 else f"worse than {ref}"


def _fmt(d: dict[str, Any]) -> str:
    ci = f" [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}]" if d["ci"] else ""
    return f"{d['difference']:+.3f}{ci}"


def differences_text(diffs: list[dict[str, Any]], titles: dict[str, str]) -> str:
    """Markdown: one line per encoder and task, fold 10 with the fold-9 check beside it."""
    if not diffs:
        return "No paired differences: no seed saved its scores."
    by = {(d["encoder"], d["task"], d["fold"], d["a"]): d for d in diffs
          if d.get("b", "names") == "names"}  # fmt: skip
    style = {(d["encoder"], d["task"], d["fold"]): d for d in diffs
             if (d["a"], d.get("b")) in STYLE_PAIRS}  # fmt: skip
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
            s10, s9 = style.get((enc, task, 10)), style.get((enc, task, 9))
            if s10 is not None:
                s = f"{_fmt(s10)} → {_verdict(s10)}"
                if s9 is not None:
                    s += f" (fold 9: {_fmt(s9)})"
                lines.append(f"- {titles[enc]}, **{task}**: report style − criteria style "
                             f"(terminology-only) {s}")  # fmt: skip
    return "\n".join(lines)


def summary_sentence(diffs: list[dict[str, Any]]) -> str:
    """What the CIs allow to conclude, counted over encoders × tasks on fold 10."""
    main = [d for d in diffs if d["fold"] == 10]
    if not main:
        return "Nothing can be concluded: no paired differences."
    parts = []
    groups = (("CKEPE", CKEPE_ARMS, "names"), ("the controls", CONTROL_ARMS, "names"),
              ("report style − criteria style:", ("ckepe-report",), "ckepe-term"))  # fmt: skip
    for group, arms, ref in groups:
        ds = [d for d in main if d["a"] in arms and d.get("b", "names") == ref]
        if not ds:
            continue
        up = sum(bool(d["excludes_zero"]) and d["difference"] > 0 for d in ds)
        down = sum(bool(d["excludes_zero"]) and d["difference"] < 0 for d in ds)
        head = group if group.endswith(":") else f"{group} − names:"
        parts.append(f"{head} the 95 % CI lies above 0 in {up}, below 0 in {down} and "
                     f"includes 0 in {len(ds) - up - down} of {len(ds)} comparisons")  # fmt: skip
    checks = [(d, next((e for e in diffs if e["fold"] == 9 and e["encoder"] == d["encoder"]
                        and e["task"] == d["task"] and e["a"] == d["a"]
                        and e.get("b") == d.get("b")), None))
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
