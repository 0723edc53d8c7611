"""CMA + UMA contrastive loss, exact under data parallelism.

Each rank gathers every rank's features with an autograd-aware all-gather, builds its local
B × N logits, and uses labels ``arange(B) + B·rank``. After DDP's gradient averaging, N ranks
with B pairs each give the same loss and gradients as one process with N·B pairs. (The
published trainer gathers without gradient and keeps only the local slice differentiable,
which leaves encoder gradients world-size times too small.)
"""

from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from merl_core.train.distributed import gather_no_grad, gather_with_grad


def _rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def clip_loss(
    a: torch.Tensor, b: torch.Tensor, logit_scale: torch.Tensor | float, *, gather: str = "grad"
) -> torch.Tensor:
    """Symmetric CLIP cross-entropy (a→b plus b→a, summed), over all ranks' pairs.

    Args:
        a: local normalised features (B, D).
        b: local normalised features (B, D), row i pairs with ``a[i]``.
        logit_scale: 1 / temperature.
        gather: ``grad`` (exact) or ``nograd`` (the published trainer's gather, for comparison).
    """
    fn = gather_with_grad if gather == "grad" else gather_no_grad
    # The logits in fp32 outside autocast: at a scale of 1/0.07, bf16 features would quantise
    # them by ~0.06, as large as many of the differences the loss is made of.
    with torch.autocast(a.device.type, enabled=False):
        a, b = a.float(), b.float()
        all_a, all_b = fn(a), fn(b)
        labels = torch.arange(a.shape[0], device=a.device) + a.shape[0] * _rank()
        logits_a = logit_scale * a @ all_b.T
        logits_b = logit_scale * b @ all_a.T
        return F.cross_entropy(logits_a, labels) + F.cross_entropy(logits_b, labels)


class MERLLoss(nn.Module):
    """Total = CMA (ECG ↔ report) + UMA (dropout view 1 ↔ view 2)."""

    def __init__(self, gather: str = "grad") -> None:
        super().__init__()
        self.gather = gather

    def forward(self, out: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``loss``, ``cma`` and ``uma`` from a model's forward dict."""
        scale = out["logit_scale"]
        cma = clip_loss(out["ecg"], out["text"], scale, gather=self.gather)
        uma = clip_loss(out["ecg_view1"], out["ecg_view2"], scale, gather=self.gather)
        return {"loss": cma + uma, "cma": cma.detach(), "uma": uma.detach()}
