"""Data pipeline speed: ``prepare`` records/s and batch reads, cache vs WFDB per item.

The baseline reads the way upstream MERL's dataset class does: ``wfdb.rdsamp`` in every
``__getitem__`` plus per-item preprocessing (lead swap, NaN fill, min-max), batched by a
``DataLoader``. The cache path reads the same records from the prepared ``signals.npy``.
Both run on the real PTB-XL sample (500 records, 500 Hz), warm page cache, batch 32,
``num_workers=0``.

    python benchmarks/bench_data.py [--root PATH] [--epochs 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_results  # noqa: E402

from merl_core.data.cache import ECGCache  # noqa: E402
from merl_core.data.datasets import prepare  # noqa: E402
from merl_core.data.torch_dataset import cache_dataset  # noqa: E402
from merl_core.paths import shared_data_root  # noqa: E402

BATCH = 32


class UpstreamWFDB(Dataset):
    """WFDB read + preprocessing in every ``__getitem__`` (the upstream pattern)."""

    def __init__(self, stems: list[str]) -> None:
        self.stems = stems

    def __len__(self) -> int:
        return len(self.stems)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        import wfdb

        x, _ = wfdb.rdsamp(self.stems[i])
        x = x.T[[0, 1, 2, 3, 5, 4, 6, 7, 8, 9, 10, 11]]  # aVL/aVF swap as upstream
        x = np.nan_to_num(x)[:, :5000]
        x = (x - x.min()) / (x.max() - x.min() + 1e-8)
        return {"ecg": torch.from_numpy(x.astype(np.float32))}


def _epoch_time(ds: Dataset, epochs: int) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of this process, batches) over ``epochs`` timed epochs."""
    loader = DataLoader(ds, batch_size=BATCH, shuffle=True, num_workers=0,
                        generator=torch.Generator().manual_seed(0))  # fmt: skip
    for _ in loader:  # warm-up epoch (page cache, imports)
        pass
    t0, c0 = time.perf_counter(), time.process_time()
    batches = 0
    for _ in range(epochs):
        for b in loader:
            assert b["ecg"].shape[1:] == (12, 5000)
            batches += 1
    return time.perf_counter() - t0, time.process_time() - c0, batches


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=shared_data_root() / "ptbxl-sample")
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(1)  # a data pipeline runs single-threaded (as DataLoader workers do)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        caches = {}
        for dtype, workers in (("float32", 1), ("float32", 2), ("float16", 2)):
            out = Path(tmp) / f"{dtype}-{workers}"
            t0 = time.perf_counter()
            prepare("ptbxl", args.root, out, dtype=dtype, workers=workers, progress=False)
            dt = time.perf_counter() - t0
            n = len(ECGCache(out))
            caches[dtype] = out
            rows.append({"what": f"prepare ptbxl ({dtype}, {workers} workers)", "records": n,
                         "seconds": dt, "records_per_s": n / dt, "ms_per_batch32": "",
                         "cpu_ms_per_batch32": ""})  # fmt: skip
        t0 = time.perf_counter()
        prepare("synthetic", None, Path(tmp) / "syn", n=256, seed=0, workers=2, progress=False)
        dt = time.perf_counter() - t0
        rows.append({"what": "prepare synthetic (256, 2 workers)", "records": 256,
                     "seconds": dt, "records_per_s": 256 / dt, "ms_per_batch32": "",
                     "cpu_ms_per_batch32": ""})  # fmt: skip
        cache = ECGCache(caches["float32"])
        stems = [str(args.root / f"records500/{int(i) // 1000 * 1000:05d}/{int(i):05d}_hr")
                 for i in cache.ids]  # fmt: skip
        per_batch, cpu_batch = {}, {}
        for name, ds in (
            ("WFDB per item (upstream)", UpstreamWFDB(stems)),
            ("cache float32 (memmap)", cache_dataset(cache)),
            ("cache float16 (memmap)", cache_dataset(ECGCache(caches["float16"]))),
        ):
            dt, cpu, batches = _epoch_time(ds, args.epochs)
            per_batch[name], cpu_batch[name] = dt / batches, cpu / batches
            rows.append({"what": f"read batches: {name}", "records": len(ds) * args.epochs,
                         "seconds": dt, "records_per_s": len(ds) * args.epochs / dt,
                         "ms_per_batch32": 1000 * dt / batches,
                         "cpu_ms_per_batch32": 1000 * cpu / batches})  # fmt: skip
    base = per_batch["WFDB per item (upstream)"]
    speedup = {k: base / v for k, v in per_batch.items() if "cache" in k}
    cpu_speedup = {k: cpu_batch["WFDB per item (upstream)"] / v
                   for k, v in cpu_batch.items() if "cache" in k}  # fmt: skip
    notes = ("Cache speed-up per batch over WFDB per item: "
             + ", ".join(f"{k} {v:.1f}×" for k, v in speedup.items())
             + "; in CPU time: " + ", ".join(f"{k} {v:.1f}×" for k, v in cpu_speedup.items())
             + f". Batch {BATCH}, shuffled, num_workers=0, warm page cache, "
               f"{args.epochs} timed epochs after one warm-up. Load average at the end: "
               f"{os.getloadavg()[0]:.1f} (this script's own 2 prepare workers count; well "
               "above 2 means other jobs shared the cores: absolute rates depressed, ratios "
               "less so).")  # fmt: skip
    write_results("bench_data", "Data: prepare and batch reads (PTB-XL sample, 500 Hz)", rows,
                  notes=notes, extra={"speedup_per_batch": speedup,
                                      "cpu_speedup_per_batch": cpu_speedup})  # fmt: skip
    if min(speedup.values()) < 10:
        print(f"WARNING: cache speed-up below 10× ({speedup})")


if __name__ == "__main__":
    main()
