"""The pretraining optimiser: fused AdamW makes the same updates as the reference loop."""

from __future__ import annotations

import torch

from merl_core.train.config import PretrainConfig
from merl_core.train.trainer import create_optimizer


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
    for pa, pb in zip(a, b, strict=True):
        torch.testing.assert_close(pa, pb, rtol=1e-5, atol=1e-6)
    assert all((p - s).abs().max() > 1e-3 for p, s in zip(a, start, strict=True))  # it moved
