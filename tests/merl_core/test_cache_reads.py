"""How a cache is read: read-only shared maps, one copy per batch, the epoch's order kept."""

from __future__ import annotations

import pickle
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import torch

import merl_core.data.torch_dataset as tds
from merl_core.data.cache import ECGCache
from merl_core.data.datasets import prepare
from merl_core.data.torch_dataset import StepBatches, cache_dataset
from merl_core.train.distributed import DistInfo


@pytest.fixture(scope="module", params=["float32", "float16"])
def cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ECGCache:
    out = tmp_path_factory.mktemp(f"c-{request.param}") / "cache"
    prepare("synthetic", None, out, n=24, seed=2, dtype=request.param, progress=False)
    return ECGCache(out)


def _mapping_perms(path: Path) -> set[str]:
    """Permissions of this process's mappings of ``path`` (``/proc/self/maps``)."""
    lines = Path("/proc/self/maps").read_text().splitlines()
    return {ln.split()[1] for ln in lines if ln.endswith(str(path.resolve()))}


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
def test_signals_and_columns_are_read_only_shared_maps(cache: ECGCache) -> None:
    # "c" (copy-on-write) is MAP_PRIVATE and writable: charged whole to every process's commit
    # limit, and a touched page becomes that process's own: ENOMEM at 800k records
    for arr, name in ((cache.signals, "signals.npy"), (cache.labels, "columns/labels.npy")):
        assert arr.mode == "r" and not arr.flags.writeable
        assert _mapping_perms(cache.path / name) == {"r--s"}
    with pytest.raises(ValueError, match="read-only"):
        cache.signals[0, 0, 0] = 1.0
    clone = pickle.loads(pickle.dumps(cache_dataset(cache)))  # as a spawned worker reopens it
    assert clone.signals.mode == "r"


def test_dataset_items_are_writable_float32_copies(cache: ECGCache) -> None:
    item = cache_dataset(cache, indices=[3])[0]
    assert item["ecg"].dtype == torch.float32 and item["ecg"].numpy().flags.writeable
    assert not np.shares_memory(item["ecg"].numpy(), cache.signals)
    item["ecg"].mul_(2)  # an in-place transform must not fault on the read-only map
    np.testing.assert_array_equal(item["ecg"].numpy() / 2, cache.signals[3].astype(np.float32))


def test_batch_is_one_copy_in_the_order_asked(cache: ECGCache) -> None:
    idx = [17, 2, 9, 2, 0]  # unsorted, with a repeat
    got = cache.batch(idx)
    assert got.dtype == np.float32 and type(got) is np.ndarray
    np.testing.assert_array_equal(got, np.asarray(cache.signals[idx], dtype=np.float32))
    cache.batch(idx)  # numpy's own first-call allocations out of the measurement
    tracemalloc.start()
    try:
        out = cache.batch(idx)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the result alone (plus a few hundred bytes of index arrays); sorting the rows and
    # scattering them into a second array, or widening a float16 copy, cost 1.5–2×
    assert peak < out.nbytes + 4096, (peak, out.nbytes)


def _texts(texts: list[str]) -> list[str]:
    return list(texts)


def test_step_batches_follow_the_epoch_permutation(
    cache: ECGCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    n, b = len(cache), 4
    calls = []
    real = tds.epoch_permutation

    def counted(n_: int, seed: int, epoch: int) -> np.ndarray:
        calls.append(epoch)
        return real(n_, seed, epoch)

    monkeypatch.setattr(tds, "epoch_permutation", counted)
    src = StepBatches(cache, n, b, DistInfo(), 7, _texts)
    per_epoch = n // b
    for step in range(2 * per_epoch):
        epoch, pos = divmod(step, per_epoch)
        rows = real(n, 7, epoch)[pos * b : (pos + 1) * b]
        item = src[step]
        np.testing.assert_array_equal(item["ecg"].numpy(), cache.batch(rows))
        assert item["tokens"] == [cache.reports[i] for i in rows]  # same order as the ECGs
    assert calls == [0, 1]  # drawn once per epoch, not once per step
    assert pickle.loads(pickle.dumps(src))._perm is None  # workers redraw, nothing shipped


def test_prefetch_ranges_cover_each_row_from_a_page_start() -> None:
    from merl_core.data.columns import row_ranges

    got = row_ranges(128, 240_000, [0, 2], page=4096)  # an .npy header of 128 bytes
    assert got == [(0, 128 + 240_000), (479_232, 128 + 2 * 240_000 + 240_000 - 479_232)]
    for (start, length), i in zip(got, [0, 2], strict=True):
        assert start % 4096 == 0 and start <= 128 + i * 240_000
        assert start + length == 128 + (i + 1) * 240_000


def test_batch_prefetches_the_rows_it_reads(
    cache: ECGCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    import merl_core.data.cache as cache_mod

    seen = []
    monkeypatch.setattr(cache_mod, "prefetch_rows", lambda arr, rows: seen.append(list(rows)))
    cache.batch([5, 1])
    assert seen == [[5, 1]]
    from merl_core.data.columns import prefetch_rows

    prefetch_rows(cache.signals, [0, len(cache) - 1])  # the real madvise on the real map
