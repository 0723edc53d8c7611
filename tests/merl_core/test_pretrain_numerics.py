"""Numerics: precision auto picks native bf16 or fp16 + GradScaler; the CLIP logits are fp32
under autocast; a run records what it set."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from merl_core.train import pretrain
from merl_core.train.config import PretrainConfig
from merl_core.train.loss import clip_loss


def test_precision_auto_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pretrain, "cuda_bf16_native", lambda: True)
    assert pretrain.resolve_precision("auto", "cuda:1") == torch.bfloat16
    monkeypatch.setattr(pretrain, "cuda_bf16_native", lambda: False)  # V100, T4: emulated bf16
    assert pretrain.resolve_precision("auto", "cuda:1") == torch.float16
    assert pretrain.resolve_precision("fp32", "cuda:0") is None
    cpu = torch.bfloat16 if pretrain.cpu_has_bf16_units() else None
    assert pretrain.resolve_precision("auto", "cpu") == cpu
    with pytest.raises(pretrain.PretrainError, match="fp16 autocast needs CUDA"):
        pretrain.resolve_precision("fp16", "cpu")


def test_clip_logits_are_fp32_under_bf16_autocast() -> None:
    g = torch.Generator().manual_seed(0)
    a = F.normalize(torch.randn(16, 256, generator=g), dim=-1).bfloat16()
    b = F.normalize(a.float() + 0.3 * torch.randn(16, 256, generator=g), dim=-1).bfloat16()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        amp = clip_loss(a, b, 1 / 0.07)
    exact = clip_loss(a.float(), b.float(), 1 / 0.07)
    assert amp.dtype == torch.float32
    assert torch.equal(amp, exact)
    # What bf16 logits would have given: visibly different.
    logits = (1 / 0.07 * a @ b.T).bfloat16().float()
    labels = torch.arange(16)
    quantised = F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)
    assert abs(quantised.item() - exact.item()) > 1e-4


def test_numerics_are_recorded_and_sync_bn_needs_cuda() -> None:
    rec = pretrain.configure_numerics(PretrainConfig(precision="fp32"), "cpu", None)
    assert rec["autocast"] == "fp32" and rec["loss_logits"] == "fp32"
    assert rec["broadcast_buffers"] is True and rec["grad_scaler"] is False
    from merl_core.train.distributed import DistInfo

    with pytest.raises(pretrain.PretrainError, match="sync_bn needs CUDA"):
        pretrain._sync_bn(torch.nn.BatchNorm1d(4), PretrainConfig(sync_bn=True),
                          DistInfo(rank=0, world_size=2))  # fmt: skip
