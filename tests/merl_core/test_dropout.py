"""FastDropout: the same Bernoulli dropout as nn.Dropout, with an integer-drawn mask."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from merl_core.models.dropout import FastDropout, use_fast_dropout


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_drop_rate_scale_and_gradient(p: float) -> None:
    torch.manual_seed(0)
    drop = FastDropout(p).train()
    x = torch.randn(400, 1000, requires_grad=True)
    y = drop(x)
    dropped = y == 0
    # 400k draws: the dropped fraction is within 5 standard errors of p
    se = (p * (1 - p) / x.numel()) ** 0.5
    assert abs(dropped.float().mean().item() - p) < 5 * se
    kept_ratio = (y[~dropped] / x[~dropped]).detach()
    assert torch.allclose(kept_ratio, torch.full_like(kept_ratio, 1 / (1 - p)), rtol=1e-3)
    y.sum().backward()
    # the gradient is the mask times the scale: zero exactly where the output was dropped
    assert torch.equal(x.grad == 0, dropped)
    assert torch.allclose(x.grad[~dropped], torch.full_like(x.grad[~dropped], 1 / (1 - p)),
                          rtol=1e-3)  # fmt: skip


def test_eval_is_identity_and_masks_follow_the_seed() -> None:
    x = torch.randn(64, 64)
    drop = FastDropout(0.1)
    assert drop.eval()(x) is x
    drop.train()
    torch.manual_seed(3)
    a = drop(x)
    torch.manual_seed(3)
    b = drop(x)
    c = drop(x)
    assert torch.equal(a, b) and not torch.equal(b, c)


def test_use_fast_dropout_replaces_plain_dropout_only() -> None:
    class Custom(nn.Dropout):
        pass

    net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.2), nn.Sequential(nn.Dropout(0.3)),
                        Custom(0.4))  # fmt: skip
    assert use_fast_dropout(net) == 2
    assert type(net[1]) is FastDropout and net[1].p == 0.2
    assert type(net[2][0]) is FastDropout and net[2][0].p == 0.3
    assert type(net[3]) is Custom


def test_merl_model_has_no_plain_dropout_left(minilm_path: str) -> None:
    from merl_core.models import create_model

    model = create_model("vit1d-tiny")
    kinds = {type(m) for m in model.modules()}
    assert nn.Dropout not in kinds and FastDropout in kinds
