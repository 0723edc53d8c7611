"""Classification metrics for multi-label ECG evaluation.

Per-class ROC AUC (the Mann-Whitney statistic with ties counted one half, which is what
scikit-learn's ``roc_auc_score`` computes, without its per-call input validation: the study
and the probe's model selection call it thousands of times), macro AUC over the classes that
have both positives and negatives in the evaluated split (the others are reported as absent,
never averaged), F1 and accuracy at a per-class threshold chosen on the *validation* split
(maximum F1 there; the test split never moves it), and seeded, vectorised bootstrap 95 %
confidence intervals. Labels may hold NaN (unknown): such entries are masked per class.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

FEW_POSITIVES = 2  # a class with this many test positives or fewer has a noisy AUC


@dataclass
class ClassResult:
    """Metrics of one class on the evaluated split."""

    label: str
    positives: int
    negatives: int
    status: str  # "ok" | "absent" (no positives or no negatives: not averaged)
    few_positives: bool
    auc: float | None = None
    auc_ci: tuple[float, float] | None = None
    threshold: float | None = None
    f1: float | None = None
    f1_ci: tuple[float, float] | None = None
    accuracy: float | None = None


@dataclass
class EvalResult:
    """All metrics of one evaluated split (one task of one dataset)."""

    classes: list[ClassResult]
    macro_auc: float | None
    macro_auc_ci: tuple[float, float] | None
    macro_f1: float | None
    macro_f1_ci: tuple[float, float] | None
    macro_accuracy: float | None
    n_records: int
    n_bootstrap: int
    seed: int
    threshold_source: str  # "val" | "none"
    absent: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN becomes None)."""
        return _clean(asdict(self))


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return None if math.isnan(float(obj)) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _check(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    if y.ndim == 1:
        y, s = y[:, None], s[:, None]
    if y.shape != s.shape:
        raise ValueError(f"labels {y.shape} and scores {s.shape} differ in shape")
    if not np.isfinite(s).all():
        raise ValueError("scores contain NaN or inf")
    return y, s


def class_counts(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positives and negatives per class (NaN labels are not counted)."""
    y = np.asarray(y, dtype=np.float64)
    return np.nansum(y == 1, axis=0).astype(int), np.nansum(y == 0, axis=0).astype(int)


def best_f1_threshold(y: np.ndarray, s: np.ndarray) -> float:
    """The score threshold that maximises F1 of ``s >= t`` against binary ``y``.

    Candidates are the midpoints between consecutive distinct scores (and just below the
    lowest), so the threshold generalises to unseen scores. NaN when ``y`` has no positive.
    """
    keep = ~np.isnan(y)
    y, s = y[keep].astype(bool), s[keep]
    if y.sum() == 0:
        return float("nan")
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    # last index of each run of equal scores: predicting positive for all scores >= that value
    last = np.r_[np.nonzero(np.diff(s_sorted))[0], len(s_sorted) - 1]
    tp = np.cumsum(y_sorted)[last]
    pp = last + 1
    f1 = 2 * tp / (pp + y.sum())
    k = int(np.argmax(f1))
    upper = s_sorted[last[k]]
    lower = s_sorted[last[k] + 1] if last[k] + 1 < len(s_sorted) else upper - 1e-6
    return float((upper + lower) / 2)


def select_thresholds(y_val: np.ndarray, s_val: np.ndarray) -> np.ndarray:
    """Per-class thresholds with maximum F1 on the validation split."""
    y_val, s_val = _check(y_val, s_val)
    return np.array([best_f1_threshold(y_val[:, c], s_val[:, c]) for c in range(y_val.shape[1])])


def weighted_auc(
    order_groups: tuple[np.ndarray, np.ndarray], y: np.ndarray, w: np.ndarray
) -> np.ndarray:
    """Mann-Whitney AUC for each row of bootstrap weights ``w`` (B, N); ties count one half."""
    order, starts = order_groups
    wp = (w * y)[:, order]
    wn = (w * (1 - y))[:, order]
    gp = np.add.reduceat(wp, starts, axis=1)
    gn = np.add.reduceat(wn, starts, axis=1)
    below = np.cumsum(gn, axis=1) - gn
    num = (gp * (below + 0.5 * gn)).sum(axis=1)
    den = gp.sum(axis=1) * gn.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def binary_auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC of 0/1 labels ``y`` against scores ``s`` (both 1-D, no NaN); NaN when ``y``
    lacks positives or negatives. Equals ``sklearn.metrics.roc_auc_score`` (ties count one
    half); the counts are integers, so only the final division rounds."""
    return float(weighted_auc(tie_groups(s), y, np.ones((1, y.size)))[0])


def tie_groups(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(s, kind="mergesort")
    ss = s[order]
    starts = np.r_[0, np.nonzero(np.diff(ss))[0] + 1]
    return order, starts


def _weighted_f1(y: np.ndarray, pred: np.ndarray, w: np.ndarray) -> np.ndarray:
    tp = (w * (y * pred)).sum(axis=1)
    fp = (w * ((1 - y) * pred)).sum(axis=1)
    fn = (w * (y * (1 - pred))).sum(axis=1)
    den = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, 2 * tp / np.where(den > 0, den, 1), np.nan)


def bootstrap_weights(n: int, n_boot: int, seed: int) -> np.ndarray:
    """Resampling counts (n_boot, n): row b says how often each record is drawn."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    flat = (np.arange(n_boot)[:, None] * n + idx).ravel()
    return np.bincount(flat, minlength=n_boot * n).reshape(n_boot, n).astype(np.float64)


def _nanmean_rows(a: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(a, axis=1)


def _ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float] | None:
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None
    a = (1 - level) / 2
    return float(np.quantile(values, a)), float(np.quantile(values, 1 - a))


def evaluate(
    y_test: np.ndarray,
    s_test: np.ndarray,
    label_names: list[str],
    *,
    thresholds: np.ndarray | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
) -> EvalResult:
    """Per-class and macro metrics of scores on the test split, with bootstrap 95 % CIs.

    Args:
        y_test: (N, C) binary labels, NaN = unknown.
        s_test: (N, C) scores (any monotone scale: cosine, logits, probabilities).
        label_names: the C class names.
        thresholds: per-class thresholds chosen on validation (:func:`select_thresholds`);
            without them F1 and accuracy are not reported.
        n_bootstrap: resamples for the CIs (0 disables them).
        seed: bootstrap seed.
    """
    y, s = _check(y_test, s_test)
    n, c = y.shape
    if len(label_names) != c:
        raise ValueError(f"{len(label_names)} label names for {c} score columns")
    pos, neg = class_counts(y)
    w = bootstrap_weights(n, n_bootstrap, seed) if n_bootstrap > 0 else np.ones((0, n))
    boot_auc = np.full((w.shape[0], c), np.nan)
    boot_f1 = np.full((w.shape[0], c), np.nan)
    classes: list[ClassResult] = []
    for j, name in enumerate(label_names):
        known = ~np.isnan(y[:, j])
        status = "ok" if pos[j] > 0 and neg[j] > 0 else "absent"
        cr = ClassResult(name, int(pos[j]), int(neg[j]), status, bool(pos[j] <= FEW_POSITIVES))
        yj, sj = y[known, j], s[known, j]
        if status == "ok":
            cr.auc = binary_auc(yj, sj)
            if w.shape[0]:
                boot_auc[:, j] = weighted_auc(tie_groups(sj), yj, w[:, known])
                cr.auc_ci = _ci(boot_auc[:, j])
        if thresholds is not None and not np.isnan(thresholds[j]) and known.any():
            pred = (sj >= thresholds[j]).astype(np.float64)
            cr.threshold = float(thresholds[j])
            cr.accuracy = float((pred == yj).mean())
            if pos[j] > 0:
                cr.f1 = float(_weighted_f1(yj, pred, np.ones((1, yj.size)))[0])
                if w.shape[0]:
                    boot_f1[:, j] = _weighted_f1(yj, pred, w[:, known])
                    cr.f1_ci = _ci(boot_f1[:, j])
        classes.append(cr)
    ok = [j for j, cr in enumerate(classes) if cr.status == "ok"]
    f1_ok = [j for j in ok if classes[j].f1 is not None]
    acc_ok = [j for j in ok if classes[j].accuracy is not None]
    absent = [cr.label for cr in classes if cr.status == "absent"]
    if absent:
        logger.info("classes absent from the split (not averaged): %s", ", ".join(absent))
    return EvalResult(
        classes=classes,
        macro_auc=float(np.mean([classes[j].auc for j in ok])) if ok else None,
        macro_auc_ci=_ci(_nanmean_rows(boot_auc[:, ok])) if ok and w.shape[0] else None,
        macro_f1=float(np.mean([classes[j].f1 for j in f1_ok])) if f1_ok else None,
        macro_f1_ci=(_ci(_nanmean_rows(boot_f1[:, f1_ok])) if f1_ok and w.shape[0] else None),
        macro_accuracy=float(np.mean([classes[j].accuracy for j in acc_ok])) if acc_ok else None,
        n_records=n,
        n_bootstrap=int(w.shape[0]),
        seed=seed,
        threshold_source="val" if thresholds is not None else "none",
        absent=absent,
    )


def macro_auc(y: np.ndarray, s: np.ndarray) -> float:
    """Macro ROC AUC over classes with both positives and negatives (NaN if none)."""
    y, s = _check(y, s)
    aucs = []
    for j in range(y.shape[1]):
        known = ~np.isnan(y[:, j])
        yj = y[known, j]
        if 0 < yj.sum() < yj.size:
            aucs.append(binary_auc(yj, s[known, j]))
    return float(np.mean(aucs)) if aucs else float("nan")
