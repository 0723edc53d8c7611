"""A small encoder for tests whose subject is not the architecture (DDP, resume, checkpoints)."""

from __future__ import annotations

# Frozen word embeddings keep its checkpoints small (11.7M MiniLM embedding weights + Adam).
TINY = {"width": 64, "depth": 1, "heads": 1, "mlp_dim": 128, "text_freeze_embeddings": True}
