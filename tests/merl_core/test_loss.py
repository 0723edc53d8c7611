"""CLIP / MERL loss logic in one process (the DDP equivalence is in test_ddp.py)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from merl_core.train.loss import MERLLoss, clip_loss
from tests._numerics import gamma


def _feats(b: int, d: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(b, d, generator=g), dim=-1)


def _clip_loss_bound(b: int, d: int, scale: float, loss: float) -> float:
    """fp32 error of two evaluations of the loss of b pairs of unit d-vectors: each logit
    within gamma_d·scale (Σ|a_i·b_i| ≤ 1), log-sum-exp and the label's logit 1-Lipschitz in
    them, then exp, a b-term sum, log and the difference (gamma_(b+3) of the loss); two
    cross-entropy terms, two evaluations."""
    return 2 * 2 * (2 * gamma(d) * scale) + 2 * gamma(b + 3) * loss


def test_clip_loss_matches_the_formula() -> None:
    a, b = _feats(5, 8, 0), _feats(5, 8, 1)
    logits = a @ b.T / 0.07
    labels = torch.arange(5)
    expected = F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)
    bound = _clip_loss_bound(5, 8, 1 / 0.07, float(expected))
    assert abs(float(clip_loss(a, b, 1 / 0.07) - expected)) <= bound


def test_clip_loss_is_symmetric_and_small_for_matched_pairs() -> None:
    a, b = _feats(6, 16, 2), _feats(6, 16, 3)
    ab, ba = float(clip_loss(a, b, 14.0)), float(clip_loss(b, a, 14.0))
    assert abs(ab - ba) <= _clip_loss_bound(6, 16, 14.0, ab)
    assert clip_loss(a, a, 1 / 0.07) < clip_loss(a, b, 1 / 0.07)
    # random features: each direction is about log(B)
    big_a, big_b = _feats(256, 64, 4), _feats(256, 64, 5)
    assert clip_loss(big_a, big_b, 1.0).item() == pytest.approx(2 * math.log(256), rel=0.02)


def _reference_clip(a: torch.Tensor, b: torch.Tensor, scale: float) -> float:
    """The symmetric InfoNCE of the MERL paper written out in float64 loops (no torch loss)."""
    a64, b64 = a.double().tolist(), b.double().tolist()
    n = len(a64)
    sim = [[scale * sum(x * y for x, y in zip(a64[i], b64[j], strict=True)) for j in range(n)]
           for i in range(n)]  # fmt: skip
    rows = sum(math.log(sum(math.exp(v) for v in sim[i])) - sim[i][i] for i in range(n)) / n
    cols = sum(math.log(sum(math.exp(sim[i][j]) for i in range(n))) - sim[j][j]
               for j in range(n)) / n  # fmt: skip
    return rows + cols


def test_merl_loss_is_cma_plus_uma() -> None:
    out = {"ecg": _feats(4, 8, 0), "text": _feats(4, 8, 1), "ecg_view1": _feats(4, 8, 2),
           "ecg_view2": _feats(4, 8, 3), "logit_scale": torch.tensor(1 / 0.07)}  # fmt: skip
    res = MERLLoss()(out)
    cma = _reference_clip(out["ecg"], out["text"], 1 / 0.07)
    uma = _reference_clip(out["ecg_view1"], out["ecg_view2"], 1 / 0.07)
    assert res["cma"].item() == pytest.approx(cma, rel=1e-5)
    assert res["uma"].item() == pytest.approx(uma, rel=1e-5)
    assert res["loss"].item() == pytest.approx(cma + uma, rel=1e-5)
