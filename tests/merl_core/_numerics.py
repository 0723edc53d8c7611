"""Tolerances from floating point's own error at the size compared, not from one CPU's run.

Two implementations of the same network, run in the same precision, differ by the rounding
of each dot product they compute, in whatever order the CPU's kernels sum (AVX2, AVX-512,
AMX and oneDNN each choose their own). For a K-term dot product the rounding error is at
most ``gamma_K = K·u/(1 − K·u)`` times ``Σ|x_i·y_i|`` in the worst case, and with high
probability within ``λ·sqrt(K)·u`` times it (Higham & Mary, "A new approach to probabilistic
rounding error analysis", SIAM J. Sci. Comput. 41(5), 2019). Through a network the errors of
its products add up; each is bounded here by the output's magnitude, since the layers are
normalised (LayerNorm, BatchNorm) and the output scale is what the comparison is against.
"""

from __future__ import annotations

import math

import torch
from torch import nn

U32 = 2.0**-24  # unit roundoff of float32 (eps/2)
U64 = 2.0**-53  # unit roundoff of float64
LAMBDA = 4.0  # the probabilistic bound's constant: fails with probability < 2·exp(-λ²/2)


def dot_error_bound(k: int, magnitude: float, u: float = U32, lam: float = LAMBDA) -> float:
    """``λ·sqrt(k)·u·magnitude``: the rounding error of a k-term dot product whose summed
    absolute products are ``magnitude``."""
    return lam * math.sqrt(k) * u * magnitude


def reduction_lengths(model: nn.Module, tokens: int) -> list[int]:
    """The length of every dot product a forward pass computes, per output element: the
    fan-in of each Linear and Conv1d, and for each attention the head width (scores) and
    the ``tokens`` (the weighted sum of values)."""
    lengths: list[int] = []
    for m in model.modules():
        if isinstance(m, nn.Linear):
            lengths.append(m.in_features)
        elif isinstance(m, nn.Conv1d):
            lengths.append(m.in_channels // m.groups * m.kernel_size[0])
        elif isinstance(m, nn.MultiheadAttention):
            lengths += [m.embed_dim, m.head_dim, tokens]  # in_proj, scores, values
        elif type(m).__name__.endswith("Attention") and hasattr(m, "heads"):
            width = next(c for c in m.children() if isinstance(c, nn.Linear)).in_features
            lengths += [width // int(m.heads), tokens]
    return lengths


def network_error_bound(
    model: nn.Module, tokens: int, scale: float, dtype: torch.dtype = torch.float32
) -> float:
    """Bound on the difference of two same-precision runs of ``model`` whose outputs have
    magnitude ``scale``: the sum of its products' bounds, twice (one error per run)."""
    u = U32 if dtype == torch.float32 else U64
    return 2 * sum(dot_error_bound(k, scale, u) for k in reduction_lengths(model, tokens))
