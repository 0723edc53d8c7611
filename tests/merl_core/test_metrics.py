"""Metrics against scikit-learn computed independently, thresholds, bootstrap, absent classes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_recall_curve, roc_auc_score

from merl_core.eval.metrics import (
    best_f1_threshold,
    binary_auc,
    bootstrap_weights,
    evaluate,
    macro_auc,
    select_thresholds,
)


def _data(seed: int = 0, n: int = 300, c: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random((n, c)) < 0.25).astype(np.float32)
    s = np.round(rng.normal(size=(n, c)) + 1.2 * y, 1)  # rounded: ties exercise the AUC
    return y, s


@pytest.mark.parametrize("case", ["ties", "all-tied", "one-positive", "separable", "large"])
def test_binary_auc_equals_sklearn(case: str) -> None:
    rng = np.random.default_rng(7)
    n = 5000 if case == "large" else 60
    y = (rng.random(n) < 0.3).astype(np.float64)
    s = {
        "ties": np.round(rng.normal(size=n) + y, 1),
        "all-tied": np.zeros(n),
        "separable": y * 2 - 1 + rng.random(n) * 0.1,
        "large": rng.normal(size=n).astype(np.float32) + 0.3 * y,
    }.get(case, rng.normal(size=n))
    if case == "one-positive":
        y[:] = 0
        y[3] = 1
    assert binary_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert np.isnan(binary_auc(np.zeros(n), s))  # no positives: undefined, not 0.5


def test_auc_f1_accuracy_match_sklearn() -> None:
    y, s = _data()
    y[:5, 1] = np.nan  # unknown labels are masked per class
    yv, sv = _data(seed=1)
    th = select_thresholds(yv, sv)
    r = evaluate(y, s, list("abcd"), thresholds=th, n_bootstrap=200, seed=3)
    for j, c in enumerate(r.classes):
        k = ~np.isnan(y[:, j])
        assert c.auc == pytest.approx(roc_auc_score(y[k, j], s[k, j]), abs=1e-12)
        pred = s[k, j] >= th[j]
        assert c.f1 == pytest.approx(f1_score(y[k, j], pred), abs=1e-12)
        assert c.accuracy == pytest.approx((pred == y[k, j]).mean(), abs=1e-12)
        assert c.positives == int(np.nansum(y[:, j]))
        lo, hi = c.auc_ci
        assert lo <= c.auc <= hi
    assert r.macro_auc == pytest.approx(np.mean([c.auc for c in r.classes]))
    assert r.macro_auc_ci[0] <= r.macro_auc <= r.macro_auc_ci[1]
    assert r.threshold_source == "val"


def test_threshold_is_the_max_f1_on_the_given_split() -> None:
    y, s = _data(seed=4)
    for j in range(y.shape[1]):
        t = best_f1_threshold(y[:, j], s[:, j])
        p, r, _ = precision_recall_curve(y[:, j], s[:, j])
        best = np.nanmax(2 * p * r / np.where(p + r > 0, p + r, 1))
        assert f1_score(y[:, j], s[:, j] >= t) == pytest.approx(best, abs=1e-9)


def test_absent_and_few_positive_classes_are_reported_not_averaged() -> None:
    y, s = _data(n=100, c=3)
    y[:, 1] = 0  # absent: no positives
    y[:, 2] = 0
    y[:2, 2] = 1  # two positives: flagged
    r = evaluate(y, s, ["A", "ABSENT", "RARE"], n_bootstrap=50)
    assert r.absent == ["ABSENT"]
    assert r.classes[1].status == "absent" and r.classes[1].auc is None
    assert r.classes[2].few_positives and r.classes[2].auc is not None
    assert not r.classes[0].few_positives
    assert r.macro_auc == pytest.approx(np.mean([r.classes[0].auc, r.classes[2].auc]))
    assert r.macro_auc == pytest.approx(macro_auc(y, s))
    d = r.to_dict()
    assert d["classes"][1]["auc"] is None and d["classes"][2]["positives"] == 2
    assert r.macro_f1 is None and r.threshold_source == "none"  # no val thresholds


def test_bootstrap_is_seeded_and_sized() -> None:
    y, s = _data()
    a = evaluate(y, s, list("abcd"), n_bootstrap=100, seed=7)
    b = evaluate(y, s, list("abcd"), n_bootstrap=100, seed=7)
    c = evaluate(y, s, list("abcd"), n_bootstrap=100, seed=8)
    assert a.macro_auc_ci == b.macro_auc_ci != c.macro_auc_ci
    w = bootstrap_weights(50, 20, seed=0)
    assert w.shape == (20, 50) and (w.sum(axis=1) == 50).all()
    wide = evaluate(y[:60], s[:60], list("abcd"), n_bootstrap=300).macro_auc_ci
    narrow = evaluate(y, s, list("abcd"), n_bootstrap=300).macro_auc_ci
    assert wide[1] - wide[0] > narrow[1] - narrow[0]  # fewer records, wider interval


def test_bad_inputs_raise() -> None:
    y, s = _data()
    with pytest.raises(ValueError, match="shape"):
        evaluate(y, s[:, :2], list("abcd"))
    s2 = s.copy()
    s2[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        evaluate(y, s2, list("abcd"))
