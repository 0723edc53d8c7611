"""The UMA head both ECG encoders share: two dropout views of the pooled features.

Uni-modal alignment (MERL's UMA) contrasts two views of one ECG: each is a bias-free linear
map of the pooled backbone features followed by its own dropout, so the two differ only in
their weights and dropout masks.

Weights saved before this head existed are named ``uma1.weight`` / ``uma2.weight`` on the
encoder; :func:`map_legacy_uma_keys` renames them on load, so those checkpoints still load.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

# old name under the encoder -> new name under the encoder
LEGACY_KEYS = {"uma1.weight": "uma.view1.weight", "uma2.weight": "uma.view2.weight"}


class UMAHead(nn.Module):
    """Two bias-free linear views ``in_dim → embed_dim``, each followed by dropout."""

    def __init__(self, in_dim: int, embed_dim: int, drop_rate: float) -> None:
        super().__init__()
        self.view1 = nn.Linear(in_dim, embed_dim, bias=False)
        self.view2 = nn.Linear(in_dim, embed_dim, bias=False)
        self.drop1 = nn.Dropout(drop_rate)
        self.drop2 = nn.Dropout(drop_rate)

    def forward(self, pooled: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, in_dim) → two (B, embed_dim) views, unnormalised."""
        return self.drop1(self.view1(pooled)), self.drop2(self.view2(pooled))


def map_legacy_uma_keys(
    module: nn.Module, state_dict: dict[str, Any], prefix: str, *args: Any
) -> None:
    """``load_state_dict`` pre-hook of an encoder: rename pre-``UMAHead`` keys in place."""
    for old, new in LEGACY_KEYS.items():
        if prefix + old in state_dict and prefix + new not in state_dict:
            state_dict[prefix + new] = state_dict.pop(prefix + old)
