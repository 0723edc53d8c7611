"""Fixtures shared by the model / pretraining / checkpoint tests: a real PTB-XL cache."""

from __future__ import annotations

from pathlib import Path

import pytest

# A small encoder for tests whose subject is not the architecture (DDP, resume, checkpoints).
# Frozen word embeddings keep its checkpoints small (11.7M MiniLM embedding weights + Adam).
TINY = {"width": 64, "depth": 1, "heads": 1, "mlp_dim": 128, "text_freeze_embeddings": True}


@pytest.fixture(scope="session")
def ptbxl_cache(ptbxl_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real PTB-XL sample prepared once per session (a second call reuses it)."""
    from merl_core.data.prepare import prepare_source
    from merl_core.data.ptbxl import ptbxl_source

    out = tmp_path_factory.getbasetemp() / "ptbxl-pretrain-cache"
    return prepare_source(ptbxl_source(ptbxl_root), out, progress=False)
