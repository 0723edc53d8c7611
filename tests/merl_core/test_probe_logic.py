"""Linear-probe pieces on features with a known structure (pure logic; the real encoder is in
test_eval_ptbxl.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from merl_core.eval.evalsets import EvalDataError
from merl_core.eval.probe import randomize_weights, run_probe, subsample_indices
from merl_core.eval.runner import parse_ratios


def test_subsample_is_seeded_sized_and_keeps_rare_classes() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random((1000, 5)) < [0.5, 0.2, 0.05, 0.003, 0.0]).astype(np.float32)
    a = subsample_indices(y, 0.01, seed=1)
    assert len(a) == 10 and len(set(a.tolist())) == 10
    assert np.array_equal(a, subsample_indices(y, 0.01, seed=1))
    assert not np.array_equal(a, subsample_indices(y, 0.01, seed=2))
    assert (y[a, :4].sum(axis=0) > 0).all()  # each class with a positive keeps one
    assert np.array_equal(subsample_indices(y, 1.0), np.arange(1000))
    with pytest.raises(ValueError):
        subsample_indices(y, 0.0)


def test_probe_learns_separable_features_and_selects_on_val() -> None:
    rng = np.random.default_rng(0)
    n, d = 600, 16

    def make(m: int) -> tuple[torch.Tensor, np.ndarray]:
        y = (rng.random((m, 3)) < 0.3).astype(np.float32)
        x = rng.normal(size=(m, d)).astype(np.float32)
        x[:, :3] += 2.5 * y
        return torch.from_numpy(x), y

    (xt, yt), (xv, yv), (xs, ys) = make(n), make(200), make(200)
    feats, labels = {"train": xt, "val": xv, "test": xs}, {"train": yt, "val": yv, "test": ys}
    res, scores, info = run_probe(feats, labels, ["a", "b", "c"], ratio=1.0, n_bootstrap=50,
                                  epochs=60)  # fmt: skip
    assert res.macro_auc > 0.9 and scores.shape == (200, 3)
    assert info["train_rows"] == n and info["val_macro_auc"] > 0.9
    assert res.threshold_source == "val" and res.macro_f1 is not None
    small, _, info1 = run_probe(feats, labels, ["a", "b", "c"], ratio=0.05, n_bootstrap=0,
                                epochs=60)  # fmt: skip
    assert info1["train_rows"] == 30 and small.macro_auc < res.macro_auc + 0.02


def test_random_init_changes_every_parameter() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv1d(12, 4, 3), torch.nn.BatchNorm1d(4))
    pos = torch.nn.Parameter(torch.ones(5))
    model.register_parameter("pos", pos)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(0.123)
    before = [p.clone() for p in model.parameters()]
    randomize_weights(model, seed=0)
    changed = [not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True)]
    assert all(changed)


def test_parse_ratios() -> None:
    assert parse_ratios(["1", "10", "100"]) == [0.01, 0.1, 1.0]
    assert parse_ratios(["1,10 100"]) == [0.01, 0.1, 1.0]
    with pytest.raises(EvalDataError, match=r"150 is not a percentage in \(0, 100\]"):
        parse_ratios(["150"])
