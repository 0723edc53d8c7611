"""Paired bootstrap of a macro-AUC difference: two score sets on the same test records.

Both score sets are resampled with the same record draws, so the interval is that of the
difference itself (the records' difficulty cancels), not of two independent AUCs. Point
values are scikit-learn's ``roc_auc_score`` macro-averaged over the classes with positives
and negatives; each resample averages the classes evaluable in that resample (the same for
both sets, since they share labels).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from merl_core.eval.metrics import bootstrap_weights, macro_auc, tie_groups, weighted_auc


@dataclass
class PairedDifference:
    """Macro AUC of ``a`` minus that of ``b`` with its paired-bootstrap CI."""

    a: str
    b: str
    auc_a: float
    auc_b: float
    difference: float
    ci: tuple[float, float] | None
    n_records: int
    n_classes: int
    n_bootstrap: int
    seed: int
    level: float = 0.95

    @property
    def excludes_zero(self) -> bool:
        """True when the CI lies wholly above or below 0."""
        return self.ci is not None and (self.ci[0] > 0 or self.ci[1] < 0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (with ``excludes_zero``)."""
        return {**asdict(self), "excludes_zero": self.excludes_zero}


def _boot_macro(y: np.ndarray, s: np.ndarray, w: np.ndarray, classes: list[int]) -> np.ndarray:
    boot = np.full((w.shape[0], len(classes)), np.nan)
    for k, j in enumerate(classes):
        known = ~np.isnan(y[:, j])
        yj, sj = y[known, j], s[known, j]
        boot[:, k] = weighted_auc(tie_groups(sj), yj, w[:, known])
    with np.errstate(invalid="ignore"):
        ok = ~np.isnan(boot)
        return np.where(ok.any(axis=1), np.nansum(boot, axis=1) / np.maximum(ok.sum(1), 1), np.nan)


def paired_auc_difference(
    y: np.ndarray,
    scores_a: np.ndarray,
    scores_b: np.ndarray,
    *,
    names: tuple[str, str] = ("a", "b"),
    n_bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> PairedDifference:
    """Macro AUC(a) − macro AUC(b) on the same records, with a paired-bootstrap CI.

    Args:
        y: (N, C) 0/1 labels, NaN = unknown.
        scores_a, scores_b: (N, C) scores of the two sets on the same rows.
        names: labels of the two sets in the result.
        n_bootstrap: resamples (0: no CI).
        seed: seed of the record draws (the same draws for both sets).
        level: CI coverage.
    """
    y = np.asarray(y, dtype=np.float64)
    a, b = np.asarray(scores_a, dtype=np.float64), np.asarray(scores_b, dtype=np.float64)
    if a.shape != y.shape or b.shape != y.shape:
        raise ValueError(f"shapes differ: y {y.shape}, a {a.shape}, b {b.shape}")
    pos = np.nansum(y, axis=0)
    neg = np.sum(~np.isnan(y), axis=0) - pos
    classes = [j for j in range(y.shape[1]) if pos[j] > 0 and neg[j] > 0]
    auc_a, auc_b = macro_auc(y, a), macro_auc(y, b)
    ci = None
    if n_bootstrap > 0 and classes:
        w = bootstrap_weights(len(y), n_bootstrap, seed)
        diff = _boot_macro(y, a, w, classes) - _boot_macro(y, b, w, classes)
        diff = diff[~np.isnan(diff)]
        if diff.size:
            q = (1 - level) / 2
            ci = (float(np.quantile(diff, q)), float(np.quantile(diff, 1 - q)))
    return PairedDifference(names[0], names[1], auc_a, auc_b, auc_a - auc_b, ci, len(y),
                            len(classes), int(n_bootstrap), seed, level)  # fmt: skip
