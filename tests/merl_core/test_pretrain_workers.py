"""DataLoader workers under spawn receive the cache's path and the tokenizer's name, never the
memory map or the model, and give the same batches as the main process."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader, get_worker_info

from merl_core.data.cache import ECGCache
from merl_core.data.torch_dataset import StepBatches
from merl_core.models import create_model
from merl_core.models.text import ReportTokenizer
from merl_core.train.distributed import DistInfo
from tests.merl_core.tiny import TINY

LIMIT = 4096  # bytes a worker may receive


def _check_worker(worker_id: int) -> None:
    """In each spawned worker: what it received is small and holds no open cache."""
    ds = get_worker_info().dataset
    assert ds._cache is None, "the worker received an opened cache"
    assert isinstance(ds.tokenize, ReportTokenizer) and ds.tokenize._tok is None
    assert len(pickle.dumps(ds)) < LIMIT


@pytest.mark.data
@pytest.mark.slow
def test_spawned_workers_receive_paths_and_names(ptbxl_cache: Path) -> None:
    cache = ECGCache(ptbxl_cache)
    model = create_model("vit1d-tiny", **TINY)
    src = StepBatches(cache, 24, 3, DistInfo(rank=1, world_size=2), 7, model.tokenize)
    sent = pickle.dumps(src)
    assert len(sent) < LIMIT, len(sent)  # not the memmap, the reports or the model
    assert len(pickle.dumps(cache.signals)) > 100 * len(sent)  # what would have gone
    loader = DataLoader(src, batch_size=None, sampler=range(5), num_workers=2,
                        multiprocessing_context="spawn", worker_init_fn=_check_worker)  # fmt: skip
    got = list(loader)
    assert [b["step"] for b in got] == list(range(5))
    for b in got:
        ref = src[b["step"]]
        assert torch.equal(b["ecg"], ref["ecg"])
        assert torch.equal(b["tokens"]["input_ids"], ref["tokens"]["input_ids"])
        assert torch.equal(b["tokens"]["input_ids"], model.tokenize(
            [cache.reports[i] for i in src.indices(b["step"])])["input_ids"])  # fmt: skip
