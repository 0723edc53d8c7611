"""Tolerances from floating point's own error at the size compared, not from one CPU's run.

Two implementations of the same network, run in the same precision, differ by the rounding
of each dot product they compute, in whatever order the CPU's kernels sum (AVX2, AVX-512,
AMX and oneDNN each choose their own). For a K-term dot product the rounding error is at
most ``gamma_K = K·u/(1 − K·u)`` times ``Σ|x_i·y_i|`` in the worst case, and with high
probability within ``λ·sqrt(K)·u`` times it (Higham & Mary, "A new approach to probabilistic
rounding error analysis", SIAM J. Sci. Comput. 41(5), 2019). Through a network the errors of
its products add up; each is bounded here by the output's magnitude, since the layers are
normalised (LayerNorm, BatchNorm) and the output scale is what the comparison is against.

Every tolerance of a numerical test comes from one of these functions, with the size it is
for (the reduction length K, the vector width d, the number of operations) and the
magnitude of what is compared; none is a constant read off one machine's run. The README's
reliability section states the policy.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch stays out of the ckepe tests that import this module
    import torch
    from torch import nn

U32 = 2.0**-24  # unit roundoff of float32 (eps/2)
U64 = 2.0**-53  # unit roundoff of float64
LAMBDA = 4.0  # the probabilistic bound's constant: fails with probability < 2·exp(-λ²/2)


def gamma(k: int, u: float = U32) -> float:
    """``gamma_k = k·u/(1 − k·u)``: the worst-case relative error of k rounded operations."""
    return k * u / (1 - k * u)


def dot_error_bound(k: int, magnitude: float, u: float = U32, lam: float = LAMBDA) -> float:
    """``λ·sqrt(k)·u·magnitude``: the rounding error of a k-term dot product whose summed
    absolute products are ``magnitude``."""
    return lam * math.sqrt(k) * u * magnitude


def reduction_lengths(model: nn.Module, tokens: int) -> list[int]:
    """The length of every dot product a forward pass computes, per output element: the
    fan-in of each Linear and Conv1d, and for each attention the head width (scores) and
    the ``tokens`` (the weighted sum of values)."""
    from torch import nn

    lengths: list[int] = []
    for m in model.modules():
        if isinstance(m, nn.Linear):
            lengths.append(m.in_features)
        elif isinstance(m, nn.Conv1d):
            lengths.append(m.in_channels // m.groups * m.kernel_size[0])
        elif isinstance(m, nn.MultiheadAttention):
            lengths += [m.embed_dim, m.head_dim, tokens]  # in_proj, scores, values
        elif hasattr(m, "attention_head_size"):  # transformers' BERT self-attention
            lengths += [int(m.attention_head_size), tokens]
        elif type(m).__name__.endswith("Attention") and hasattr(m, "heads"):
            width = next(c for c in m.children() if isinstance(c, nn.Linear)).in_features
            lengths += [width // int(m.heads), tokens]
    return lengths


def network_error_bound(
    model: nn.Module, tokens: int, scale: float, dtype: torch.dtype | None = None,
    u: float | None = None,
) -> float:  # fmt: skip
    """Bound on the difference of two same-precision runs of ``model`` whose outputs have
    magnitude ``scale``: the sum of its products' bounds, twice (one error per run).
    ``u`` overrides the unit roundoff of ``dtype`` (float32 unless float64)."""
    if u is None:
        u = U64 if dtype is not None and str(dtype) == "torch.float64" else U32
    return 2 * sum(dot_error_bound(k, scale, u) for k in reduction_lengths(model, tokens))


def unit_norm_bound(d: int, u: float = U32) -> float:
    """Bound on ``|‖x/‖x‖‖ − 1|`` for a d-vector normalised and measured in one precision:
    two d-term sums of squares (λ·sqrt(d)·u each, halved by the square root, counted whole),
    a square root and a division per element (u each), and the final square root (u)."""
    return 2 * dot_error_bound(d, 1.0, u) + 3 * u


def normalized_error_bound(d: int, abs_error: float, norm: float, u: float = U32) -> float:
    """Bound on an element of ``x/‖x‖ − y/‖y‖`` when ``|x − y| ≤ abs_error`` elementwise and
    ``‖x‖ ≥ norm``: ``‖x − y‖ ≤ sqrt(d)·abs_error`` moves the direction by at most twice that
    over ``norm``, and each side's own normalisation rounds (``unit_norm_bound``)."""
    return 2 * math.sqrt(d) * abs_error / norm + 2 * unit_norm_bound(d, u)


def relative_error_bound(
    model: nn.Module, tokens: int, u: float = U32, lam: float = LAMBDA
) -> float:
    """Bound on ``‖a − b‖ / ‖a‖`` for two same-precision runs' outputs ``a``, ``b`` of
    ``model``: in the probabilistic model the rounding errors are independent and mean-zero,
    so the products' errors add in quadrature, ``λ·u·sqrt(ΣK)`` per run relative to the
    output's norm (the layers normalised, as above), twice (one error per run). Use it where
    the linear sum of ``network_error_bound`` compounded over a whole deep network and a
    normalisation says nothing (the 6-layer MiniLM: a bound of 0.06 on unit vectors)."""
    return 2 * lam * u * math.sqrt(sum(reduction_lengths(model, tokens)))
