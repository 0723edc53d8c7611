"""ResNet1d ECG encoders (18/34/50/101) with attention pooling, as in the published MERL.

The stem has no max-pool, so a 12 × 5000 record leaves the last stage as C × 313; a 1 × 1
convolution maps it to ``embed_dim`` channels. The CMA embedding is an attention pool over
the 313 positions (a CLS query, learned positional embedding); the UMA views are two
bias-free linear maps of the average-pooled map, each followed by dropout.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _out_len(n: int, kernel: int, stride: int, pad: int) -> int:
    return (n + 2 * pad - kernel) // stride + 1


class BasicBlock1d(nn.Module):
    """Two 3-tap convolutions with a residual connection."""

    expansion = 1

    def __init__(self, in_ch: int, ch: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(in_ch, ch, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm1d(ch)
        self.conv2 = nn.Conv1d(ch, ch, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm1d(ch)
        self.downsample = _shortcut(in_ch, ch, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


class Bottleneck1d(nn.Module):
    """1 × 1 reduce, 3-tap (strided), 1 × 1 expand (×4), residual."""

    expansion = 4

    def __init__(self, in_ch: int, ch: int, stride: int = 1) -> None:
        super().__init__()
        out_ch = ch * self.expansion
        self.conv1 = nn.Conv1d(in_ch, ch, 1, bias=False)
        self.bn1 = nn.BatchNorm1d(ch)
        self.conv2 = nn.Conv1d(ch, ch, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm1d(ch)
        self.conv3 = nn.Conv1d(ch, out_ch, 1, bias=False)
        self.bn3 = nn.BatchNorm1d(out_ch)
        self.downsample = _shortcut(in_ch, out_ch, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


def _shortcut(in_ch: int, out_ch: int, stride: int) -> nn.Module | None:
    if stride == 1 and in_ch == out_ch:
        return None
    return nn.Sequential(nn.Conv1d(in_ch, out_ch, 1, stride, bias=False), nn.BatchNorm1d(out_ch))


class AttentionPool1d(nn.Module):
    """Multi-head attention pooling: the mean token queries all positions (CLIP-style).

    ``query="cls"`` is the published MERL head instead: a learned query token and an output
    projection after the attention (``c_proj``), so imported published weights run exactly.
    """

    def __init__(
        self, seq_len: int, dim: int, heads: int, out_dim: int, query: str = "mean"
    ) -> None:
        super().__init__()
        if query not in ("mean", "cls"):
            raise ValueError(f"pool query must be 'mean' or 'cls', got {query!r}")
        self.query = query
        self.pos = nn.Parameter(torch.randn(seq_len + 1, dim) / dim**0.5)
        if query == "cls":
            self.cls = nn.Parameter(torch.randn(1, dim))
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        # The attention's own output projection is CLIP's c_proj; add one only to change width.
        if query == "cls" or out_dim != dim:
            self.out: nn.Module = nn.Linear(dim, out_dim)
        else:
            self.out = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, L) → (B, out_dim)."""
        x = x.transpose(1, 2)  # B, L, C
        if self.query == "cls":
            q = self.cls.to(x.dtype).expand(x.shape[0], 1, -1)
        else:
            q = x.mean(dim=1, keepdim=True)
        x = torch.cat([q, x], dim=1) + self.pos.to(x.dtype)
        pooled, _ = self.attn(x[:, :1], x, x, need_weights=False)
        return self.out(pooled[:, 0])


class ResNet1dEncoder(nn.Module):
    """ResNet1d backbone + attention-pooled CMA embedding + two UMA views."""

    def __init__(
        self,
        *,
        block: str = "basic",
        layers: list[int] | tuple[int, ...] = (2, 2, 2, 2),
        widths: list[int] | tuple[int, ...] = (64, 128, 256, 512),
        stem_kernel: int = 7,
        attn_heads: int = 4,
        pool_query: str = "mean",
        in_leads: int = 12,
        num_samples: int = 5000,
        embed_dim: int = 256,
        drop_rate: float = 0.1,
    ) -> None:
        super().__init__()
        block_cls = {"basic": BasicBlock1d, "bottleneck": Bottleneck1d}[block]
        self.stem = nn.Sequential(
            nn.Conv1d(in_leads, widths[0], stem_kernel, 2, stem_kernel // 2, bias=False),
            nn.BatchNorm1d(widths[0]),
            nn.ReLU(inplace=True),
        )
        seq = _out_len(num_samples, stem_kernel, 2, stem_kernel // 2)
        stages: list[nn.Module] = []
        in_ch = widths[0]
        for i, (n_blocks, ch) in enumerate(zip(layers, widths, strict=True)):
            stride = 1 if i == 0 else 2
            blocks = []
            for j in range(n_blocks):
                blocks.append(block_cls(in_ch, ch, stride if j == 0 else 1))
                in_ch = ch * block_cls.expansion
            stages.append(nn.Sequential(*blocks))
            seq = _out_len(seq, 3, stride, 1)
        self.stages = nn.Sequential(*stages)
        self.seq_len = seq
        self.feature_dim = in_ch
        self.downconv = nn.Conv1d(in_ch, embed_dim, 1)
        self.att_pool = AttentionPool1d(seq, embed_dim, attn_heads, embed_dim, pool_query)
        self.uma1 = nn.Linear(embed_dim, embed_dim, bias=False)
        self.uma2 = nn.Linear(embed_dim, embed_dim, bias=False)
        self.dropout1 = nn.Dropout(drop_rate)
        self.dropout2 = nn.Dropout(drop_rate)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv1d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm1d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """(B, leads, samples) → (B, embed_dim, seq_len)."""
        return self.downconv(self.stages(self.stem(x)))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The attention-pooled CMA embedding (B, embed_dim), unnormalised."""
        return self.att_pool(self.feature_map(x))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """CMA embedding and the two UMA views, all (B, embed_dim), unnormalised."""
        fmap = self.feature_map(x)
        proj = self.att_pool(fmap)
        pooled = fmap.mean(dim=2)
        return proj, self.dropout1(self.uma1(pooled)), self.dropout2(self.uma2(pooled))
