"""ViT1d ECG encoders (tiny/small/middle/base) as in the published MERL.

Patches of ``patch_size`` samples are embedded by a strided Conv1d (100 tokens for 5000
samples), a learned positional embedding is added, pre-norm transformer blocks follow, and the
tokens are mean-pooled and layer-normalised. CMA: Linear → BN → ReLU → Linear → BN; UMA:
:class:`~merl_core.models.uma.UMAHead` on the pooled features.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from merl_core.models.uma import UMAHead, map_legacy_uma_keys


class _Attention(nn.Module):
    def __init__(self, width: int, heads: int, drop_rate: float) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, width * 3)
        self.proj = nn.Linear(width, width)
        self.drop = drop_rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        qkv = self.qkv(x).view(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        drop = self.drop if self.training else 0.0
        out = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], dropout_p=drop)
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class _Block(nn.Module):
    """Pre-norm transformer block: x + Attn(LN(x)); x + MLP(LN(x))."""

    def __init__(self, width: int, heads: int, mlp_dim: int, drop_rate: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attn = _Attention(width, heads, drop_rate)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(
            nn.Linear(width, mlp_dim), nn.GELU(), nn.Dropout(drop_rate),
            nn.Linear(mlp_dim, width), nn.Dropout(drop_rate),
        )  # fmt: skip
        self.drop = nn.Dropout(drop_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop(self.attn(self.norm1(x)))
        return x + self.mlp(self.norm2(x))


class ViT1dEncoder(nn.Module):
    """ViT1d backbone + CMA projection + two UMA views."""

    def __init__(
        self,
        *,
        width: int = 192,
        depth: int = 12,
        heads: int = 3,
        mlp_dim: int = 768,
        patch_size: int = 50,
        in_leads: int = 12,
        num_samples: int = 5000,
        embed_dim: int = 256,
        drop_rate: float = 0.1,
    ) -> None:
        super().__init__()
        if num_samples % patch_size:
            raise ValueError(f"num_samples {num_samples} is not a multiple of patch {patch_size}")
        self.seq_len = num_samples // patch_size
        self.patch = nn.Conv1d(in_leads, width, patch_size, patch_size)
        self.pos = nn.Parameter(torch.randn(1, self.seq_len, width) * 0.02)
        self.pos_drop = nn.Dropout(drop_rate)
        self.blocks = nn.Sequential(
            *[_Block(width, heads, mlp_dim, drop_rate) for _ in range(depth)]
        )
        self.norm = nn.LayerNorm(width)
        self.feature_dim = width
        self.proj = nn.Sequential(
            nn.Linear(width, embed_dim), nn.BatchNorm1d(embed_dim), nn.ReLU(inplace=True),
            nn.Linear(embed_dim, embed_dim), nn.BatchNorm1d(embed_dim),
        )  # fmt: skip
        self.uma = UMAHead(width, embed_dim, drop_rate)
        self.register_load_state_dict_pre_hook(map_legacy_uma_keys)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, leads, samples) → mean-pooled, layer-normalised tokens (B, width)."""
        tokens = self.patch(x).transpose(1, 2) + self.pos.to(x.dtype)
        tokens = self.blocks(self.pos_drop(tokens))
        return self.norm(tokens.mean(dim=1))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The CMA embedding (B, embed_dim), unnormalised."""
        return self.proj(self.features(x))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """CMA embedding and the two UMA views, all (B, embed_dim), unnormalised."""
        feats = self.features(x)
        view1, view2 = self.uma(feats)
        return self.proj(feats), view1, view2
