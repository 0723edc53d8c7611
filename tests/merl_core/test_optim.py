"""The pretraining optimiser: fused AdamW makes the same updates as the reference loop."""

from __future__ import annotations

import torch

from merl_core.train.config import PretrainConfig
from merl_core.train.trainer import create_optimizer
from tests._numerics import U32


def test_fused_adamw_matches_reference_updates() -> None:
    cfg = PretrainConfig(model="resnet1d18", weight_decay=0.05)
    torch.manual_seed(0)
    a = [torch.nn.Parameter(torch.randn(64, 32)), torch.nn.Parameter(torch.randn(7))]
    b = [torch.nn.Parameter(p.detach().clone()) for p in a]
    start = [p.detach().clone() for p in a]
    fused = create_optimizer(a, cfg)
    ref = torch.optim.AdamW(b, lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay,
                            foreach=False)  # fmt: skip
    assert fused.defaults.get("fused") is True
    for step in range(5):
        grads = [torch.randn_like(p) * (step + 1) for p in a]
        for pa, pb, g in zip(a, b, grads, strict=True):
            pa.grad, pb.grad = g.clone(), g.clone()
        fused.step()
        ref.step()
    # Elementwise updates, no sums: per step each of AdamW's ~12 fp32 operations per element
    # (moments, bias corrections, sqrt, eps, division, lr, decay, subtraction) rounds once in
    # each implementation, relative to the parameter or to the step taken; an error of the
    # moments reaches the update at most once more. Over the steps the errors add.
    steps, ops = 5, 12
    for pa, pb, s in zip(a, b, start, strict=True):
        scale = float(pa.detach().abs().max()) + float((pa - s).detach().abs().max())
        bound = steps * 2 * 2 * ops * U32 * scale  # two runs, moments once more
        assert float((pa - pb).detach().abs().max()) <= bound
    assert all((p - s).abs().max() > 1e-3 for p, s in zip(a, start, strict=True))  # it moved
