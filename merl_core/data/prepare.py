"""Build a prepared cache: preprocessed signals in one memory-mapped ``signals.npy``.

Parallel (worker processes), resumable (progress kept in ``.build-<fingerprint>/`` beside
the output), atomic (``signals.npy`` and ``manifest.json`` are moved into place only when
complete; the manifest last). The fingerprint covers the dataset, its record ids and labels,
the preprocessing parameters and the dtype: a cache built with other parameters is detected
and rebuilt, never reused. Bad records are skipped and listed by id with the reason.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing as mp
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ckepe.fileio import atomic_write_text
from merl_core.data.leads import LEADS
from merl_core.data.preprocess import BadRecordError, PreprocessConfig, preprocess
from merl_core.data.source import Loader, RecordRef, Source, load_wfdb

logger = logging.getLogger(__name__)

FORMAT = "merl-ecg-cache"
FORMAT_VERSION = 1
DTYPES = ("float16", "float32")
_FLUSH_EVERY = 256


class NoUsableRecordsError(RuntimeError):
    """Every record of a dataset was skipped: there is nothing to cache."""


def _sha(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def fingerprint(source: Source, cfg: PreprocessConfig, dtype: str, params: dict[str, Any]) -> str:
    """Hash of everything that decides the cache's content."""
    labels = np.ascontiguousarray(source.labels, dtype=np.float32)
    key = {
        "format": [FORMAT, FORMAT_VERSION], "dataset": source.dataset, "dtype": dtype,
        "preprocessing": cfg.to_dict(), "params": params, "loader": source.loader,
        "ids": _sha([r.id for r in source.records]),
        "paths": _sha([r.path for r in source.records]),
        "labels": hashlib.sha256(labels.tobytes()).hexdigest(), "label_names": source.label_names,
    }  # fmt: skip
    return _sha(key)


def _work(job: tuple[int, RecordRef, Loader, PreprocessConfig, str]) -> tuple[int, Any, str]:
    i, ref, load, cfg, dtype = job
    try:
        x, fs, digest = load(ref)
        return i, preprocess(x, fs, cfg).astype(dtype), digest
    except BadRecordError as exc:
        return i, None, str(exc)
    except Exception as exc:  # a record must never stop the run
        return i, None, f"{type(exc).__name__}: {exc}"


def _jsonable_labels(labels: np.ndarray) -> list[list[float | None]]:
    return [[None if np.isnan(v) else float(v) for v in row] for row in labels]


def _existing_fingerprint(out: Path) -> str | None:
    try:
        with open(out / "manifest.json", encoding="utf-8") as fh:
            return json.load(fh).get("fingerprint")
    except (OSError, ValueError):
        return None


def _open_state(build: Path, n: int, cfg: PreprocessConfig, dtype: str) -> tuple[Any, Any, Any]:
    """Memmaps of the build: signals, per-record status (0 todo, 1 ok, 2 bad), hashes."""
    from numpy.lib.format import open_memmap

    build.mkdir(parents=True, exist_ok=True)
    specs = {"partial.npy": (dtype, (n, 12, cfg.length)), "status.npy": ("int8", (n,)),
             "hashes.npy": ("S64", (n,))}  # fmt: skip
    try:
        arrays = [open_memmap(build / name, mode="r+") for name in specs]
        if all(a.shape == s and a.dtype == np.dtype(d)
               for a, (d, s) in zip(arrays, specs.values(), strict=True)):  # fmt: skip
            return arrays[0], arrays[1], arrays[2]
    except (OSError, ValueError):
        pass
    (build / "reasons.jsonl").unlink(missing_ok=True)
    arrays = [open_memmap(build / name, mode="w+", dtype=d, shape=s)
              for name, (d, s) in specs.items()]  # fmt: skip
    return arrays[0], arrays[1], arrays[2]


def _run_jobs(
    source: Source, todo: np.ndarray, cfg: PreprocessConfig, dtype: str, workers: int,
    state: tuple[Any, Any, Any], reasons_path: Path, progress: bool,
) -> None:  # fmt: skip
    signals, status, hashes = state
    load = source.load or load_wfdb
    jobs = ((int(i), source.records[i], load, cfg, dtype) for i in todo)
    pending: list[int] = []

    def flush() -> None:
        signals.flush()
        hashes.flush()
        status.flush()
        pending.clear()

    bar = tqdm(total=len(todo), desc=f"prepare {source.dataset}", unit="rec", disable=not progress)
    pool = None
    if workers > 1:
        if source.warm_up is not None:  # shared state built once; forked workers inherit it
            source.warm_up()
        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        pool = ctx.Pool(workers)
        results = pool.imap_unordered(_work, jobs, chunksize=8)
    else:
        results = map(_work, jobs)
    try:
        with open(reasons_path, "a", encoding="utf-8") as rfh:
            for i, arr, info in results:
                if arr is None:
                    rec = {"i": i, "id": source.records[i].id, "reason": info}
                    rfh.write(json.dumps(rec) + "\n")
                    logger.warning("skipped %s: %s", source.records[i].id, info)
                    status[i] = 2
                else:
                    signals[i] = arr
                    hashes[i] = info[:64].encode()
                    status[i] = 1
                pending.append(i)
                if len(pending) >= _FLUSH_EVERY:
                    rfh.flush()
                    flush()
                bar.update(1)
        flush()
    finally:
        bar.close()
        if pool is not None:
            pool.terminate()
            pool.join()


def _read_reasons(path: Path) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                out[int(rec["i"])] = {"id": rec["id"], "reason": rec["reason"]}
    return out


def _finalize_signals(partial: Any, good: np.ndarray, build: Path, out: Path) -> None:
    """Move the complete signals into ``out/signals.npy`` (compacting out skipped rows)."""
    from numpy.lib.format import open_memmap

    src = build / "partial.npy"
    if good.all():
        del partial
        os.replace(src, out / "signals.npy")
        return
    final = open_memmap(build / "final.npy", mode="w+", dtype=partial.dtype,
                        shape=(int(good.sum()), *partial.shape[1:]))  # fmt: skip
    rows = np.flatnonzero(good)
    for s in range(0, len(rows), 1024):
        chunk = rows[s : s + 1024]
        final[s : s + len(chunk)] = partial[chunk]
    final.flush()
    del final, partial
    os.replace(build / "final.npy", out / "signals.npy")


def prepare_source(
    source: Source, out: str | Path, *, cfg: PreprocessConfig | None = None,
    dtype: str = "float32", workers: int = 1, params: dict[str, Any] | None = None,
    progress: bool = True,
) -> Path:  # fmt: skip
    """Preprocess every record of ``source`` into a cache folder ``out``; returns ``out``.

    An existing cache with the same fingerprint is reused; one with another fingerprint is
    rebuilt. An interrupted build resumes where it stopped.

    Raises:
        NoUsableRecordsError: every record was skipped.
    """
    cfg = cfg or PreprocessConfig()
    params = dict(params or {})
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, not {dtype!r}")
    out = Path(out)
    fp = fingerprint(source, cfg, dtype, params)
    old = _existing_fingerprint(out)
    if old == fp and (out / "signals.npy").exists():
        logger.info("%s: cache is up to date (fingerprint %s), reused", out, fp[:12])
        return out
    if old is not None:
        logger.warning("%s: cache was built with other parameters (%s ≠ %s): rebuilding",
                       out, old[:12], fp[:12])  # fmt: skip
    if not source.records:
        raise NoUsableRecordsError(f"{source.dataset}: no records found")
    out.mkdir(parents=True, exist_ok=True)
    build = out / f".build-{fp[:16]}"
    t0 = time.perf_counter()
    state = _open_state(build, len(source.records), cfg, dtype)
    todo = np.flatnonzero(np.asarray(state[1]) == 0)
    if len(todo) < len(source.records):
        logger.info("%s: resuming, %d of %d records already done",
                    out, len(source.records) - len(todo), len(source.records))  # fmt: skip
    _run_jobs(source, todo, cfg, dtype, max(1, workers), state, build / "reasons.jsonl", progress)
    signals, status, hashes = state
    good = np.asarray(status) == 1
    reasons = _read_reasons(build / "reasons.jsonl")
    skipped = [reasons.get(int(i), {"id": source.records[i].id, "reason": "unknown"})
               for i in np.flatnonzero(~good)]  # fmt: skip
    if not good.any():
        raise NoUsableRecordsError(
            f"{source.dataset}: all {len(source.records)} records were skipped "
            f"(first: {skipped[0]['id']}: {skipped[0]['reason']})"
        )
    manifest = _manifest(source, cfg, dtype, params, fp, good, hashes, skipped)
    manifest["build_seconds"] = round(time.perf_counter() - t0, 3)
    (out / "manifest.json").unlink(missing_ok=True)
    _finalize_signals(signals, good, build, out)
    del status, hashes
    atomic_write_text(out / "manifest.json",
                      json.dumps(manifest, separators=(",", ":"), ensure_ascii=False))
    shutil.rmtree(build, ignore_errors=True)
    logger.info("%s: %d records cached, %d skipped", out, int(good.sum()), len(skipped))
    return out


def _manifest(
    source: Source, cfg: PreprocessConfig, dtype: str, params: dict[str, Any], fp: str,
    good: np.ndarray, hashes: Any, skipped: list[dict[str, Any]],
) -> dict[str, Any]:  # fmt: skip
    rows = np.flatnonzero(good)
    recs = [source.records[i] for i in rows]
    digests = [bytes(hashes[i]).decode() for i in rows]
    has_reports = any(r.report is not None for r in source.records)
    tasks = {
        t: {"label_names": names, "labels": _jsonable_labels(np.asarray(m)[rows])}
        for t, (names, m) in source.extra_tasks.items()
    }
    info = {k: ([v[i] for i in rows] if isinstance(v, list) and len(v) == len(good) else v)
            for k, v in source.info.items()}  # fmt: skip
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION, "fingerprint": fp,
        "dataset": source.dataset, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "n": len(rows), "shape": [len(rows), 12, cfg.length], "dtype": dtype, "fs": cfg.fs,
        "lead_order": list(LEADS), "preprocessing": cfg.to_dict(), "params": params,
        "info": info, "ids": [r.id for r in recs],
        "reports": [r.report or "" for r in recs] if has_reports else None,
        "label_names": list(source.label_names),
        "labels": _jsonable_labels(np.asarray(source.labels)[rows]), "tasks": tasks,
        "source_sha256": dict(zip([r.id for r in recs], digests, strict=True)),
        "source_hash": hashlib.sha256("".join(digests).encode()).hexdigest(),
        "counts": {"records": len(source.records), "cached": len(rows), "skipped": len(skipped),
                   "missing": len(source.missing)},
        "skipped": skipped, "missing": source.missing,
    }  # fmt: skip
