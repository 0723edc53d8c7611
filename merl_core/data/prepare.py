"""Build a prepared cache: preprocessed signals in one memory-mapped ``signals.npy``.

Parallel (worker processes), resumable (progress kept in ``.build-<fingerprint>/`` beside
the output), atomic (``signals.npy``, the per-record ``columns/`` and ``manifest.json`` are
moved into place only when complete; the manifest, a summary, last), locked (one writer per
folder) and checked for free space before any byte is written. The fingerprint covers the
dataset, its record ids and labels, the preprocessing and quality parameters and the dtype:
a cache built with other parameters is detected and rebuilt, never reused. Bad records are
skipped and listed by id with a coded reason (:data:`merl_core.data.quality.REASONS`),
written the moment they are found.

A cluster prepares one cache in parallel with ``shard=(I, N)`` (records ``I·n/N`` to
``(I+1)·n/N``, each shard in its own build folder) and :func:`merge_shards` afterwards: the
merged cache is byte-for-byte the one an unsharded run writes (see :mod:`merl_core.data.shards`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing as mp
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ckepe.fileio import atomic_write_json, atomic_write_text
from merl_core.data.buildfs import (
    PrepareError,
    allocated_bytes,
    build_name,
    check_free_space,
    folder_lock,
    human_bytes,
    preallocate,
    remove_stale_builds,
)
from merl_core.data.leads import LEADS
from merl_core.data.preprocess import PreprocessConfig, import_resampler, preprocess
from merl_core.data.quality import BadRecordError, QualityConfig, check_record, quality_for
from merl_core.data.source import Loader, RecordRef, Source, load_wfdb

logger = logging.getLogger(__name__)

FORMAT = "merl-ecg-cache"
FORMAT_VERSION = 3  # the layout: 3 = per-record data in columns/ (2: all in manifest.json)
# The content's version, in the fingerprint: unchanged by a new layout, so a format-2 cache is
# still reused (and read) and a run resumes on a cache re-prepared in the new layout.
CONTENT_VERSION = 2
DTYPES = ("float16", "float32")
_FLUSH_EVERY = 256
EVENTS = "records.jsonl"  # one line per skipped or altered record, appended as it happens


class NoUsableRecordsError(PrepareError):
    """Every record of a dataset was skipped: there is nothing to cache."""


def _sha(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def fingerprint(
    source: Source, cfg: PreprocessConfig, dtype: str, params: dict[str, Any],
    quality: QualityConfig | None = None,
) -> str:  # fmt: skip
    """Hash of everything that decides the cache's content."""
    labels = np.ascontiguousarray(source.labels, dtype=np.float32)
    key = {
        "format": [FORMAT, CONTENT_VERSION], "dataset": source.dataset, "dtype": dtype,
        "preprocessing": cfg.to_dict(), "params": params, "loader": source.loader,
        "quality": (quality or quality_for(source.dataset)).to_dict(),
        "ids": _sha([r.id for r in source.records]),
        "paths": _sha([r.path for r in source.records]),
        "labels": hashlib.sha256(labels.tobytes()).hexdigest(), "label_names": source.label_names,
    }  # fmt: skip
    return _sha(key)


Job = tuple[int, RecordRef, Loader, PreprocessConfig, QualityConfig, str]


def _work(job: Job) -> tuple[int, Any, dict[str, Any]]:
    """One record → (index, signal or None, note): the note holds its hash, or why it failed,
    and what was done to it (leads zeroed, resampled from)."""
    i, ref, load, cfg, qc, dtype = job
    try:
        x, fs, digest = load(ref)
        checked = check_record(x, fs, qc)
        arr = preprocess(checked.x, fs, cfg)
        note: dict[str, Any] = {"sha256": digest}
        if checked.zeroed:
            arr[[LEADS.index(name) for name in checked.zeroed]] = 0.0
            note["zeroed"] = checked.zeroed
        if checked.resampled_from is not None:
            note["resampled_from"] = checked.resampled_from
        return i, arr.astype(dtype), note
    except BadRecordError as exc:
        return i, None, {"code": exc.code, "reason": str(exc)}
    except Exception as exc:  # a record must never stop the run
        return i, None, {"code": "error", "reason": f"{type(exc).__name__}: {exc}"}


def existing_fingerprint(out: Path) -> str | None:
    try:
        with open(out / "manifest.json", encoding="utf-8") as fh:
            return json.load(fh).get("fingerprint")
    except (OSError, ValueError):
        return None


def _state_specs(n: int, cfg: PreprocessConfig, dtype: str) -> dict[str, tuple[str, tuple]]:
    return {"partial.npy": (dtype, (n, 12, cfg.length)), "status.npy": ("int8", (n,)),
            "hashes.npy": ("S64", (n,))}  # fmt: skip


def _open_state(build: Path, n: int, cfg: PreprocessConfig, dtype: str) -> tuple[Any, Any, Any]:
    """Memmaps of the build: signals, per-record status (0 todo, 1 ok, 2 bad), hashes."""
    from numpy.lib.format import open_memmap

    build.mkdir(parents=True, exist_ok=True)
    specs = _state_specs(n, cfg, dtype)
    try:
        arrays = [open_memmap(build / name, mode="r+") for name in specs]
        if all(a.shape == s and a.dtype == np.dtype(d)
               for a, (d, s) in zip(arrays, specs.values(), strict=True)):  # fmt: skip
            for name in specs:
                preallocate(build / name)
            return arrays[0], arrays[1], arrays[2]
    except (OSError, ValueError):
        pass
    (build / EVENTS).unlink(missing_ok=True)
    arrays = [open_memmap(build / name, mode="w+", dtype=d, shape=s)
              for name, (d, s) in specs.items()]  # fmt: skip
    for name in specs:
        preallocate(build / name)
    return arrays[0], arrays[1], arrays[2]


def _check_build_space(build: Path, n: int, cfg: PreprocessConfig, dtype: str) -> None:
    row = 12 * cfg.length * np.dtype(dtype).itemsize
    have = allocated_bytes(build / "partial.npy")
    need = max(0, n * row - have)
    build.parent.mkdir(parents=True, exist_ok=True)
    check_free_space(build.parent, need, f"the cache ({n} records × 12 × {cfg.length} × "
                     f"{np.dtype(dtype).itemsize} B = {human_bytes(n * row)})")  # fmt: skip


def _run_jobs(
    source: Source, lo: int, todo: np.ndarray, cfg: PreprocessConfig, qc: QualityConfig,
    dtype: str, workers: int, state: tuple[Any, Any, Any], events: Path, progress: bool,
) -> None:  # fmt: skip
    """Process records ``lo + todo`` into the build state (local rows ``todo``)."""
    signals, status, hashes = state
    load = source.load or load_wfdb
    jobs = ((lo + int(k), source.records[lo + int(k)], load, cfg, qc, dtype) for k in todo)
    done = 0
    bar = tqdm(total=len(todo), desc=f"prepare {source.dataset}", unit="rec", disable=not progress)
    pool = None
    results: Iterator[tuple[int, Any, dict[str, Any]]]
    if workers > 1:
        if source.warm_up is not None:  # shared state built once; forked workers inherit it
            source.warm_up()
        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        if ctx.get_start_method() == "fork":
            import_resampler()
        pool = ctx.Pool(workers)
        results = pool.imap_unordered(_work, jobs, chunksize=8)
    else:
        results = map(_work, jobs)
    try:
        with open(events, "a", encoding="utf-8") as efh:
            for i, arr, note in results:
                k = i - lo
                rid = source.records[i].id
                if arr is None or len(note) > 1:  # skipped, or altered: say so before the status
                    efh.write(json.dumps({"i": i, "id": rid, **note}) + "\n")
                    efh.flush()
                if arr is None:
                    logger.warning("skipped %s [%s]: %s", rid, note["code"], note["reason"])
                    status[k] = 2
                else:
                    signals[k] = arr
                    hashes[k] = note["sha256"][:64].encode()
                    status[k] = 1
                done += 1
                if done % _FLUSH_EVERY == 0:
                    os.fsync(efh.fileno())
                    for a in (signals, hashes, status):
                        a.flush()
                bar.update(1)
            os.fsync(efh.fileno())
        for a in (signals, hashes, status):
            a.flush()
    finally:
        bar.close()
        if pool is not None:
            pool.terminate()
            pool.join()


def read_events(path: Path) -> dict[int, dict[str, Any]]:
    """The last event of every record index in a build's ``records.jsonl``."""
    out: dict[int, dict[str, Any]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except ValueError:  # a line cut by a kill: that record is redone
                continue
            out[int(rec.pop("i"))] = rec
    return out


def build_range(
    source: Source, build: Path, lo: int, hi: int, cfg: PreprocessConfig, qc: QualityConfig,
    dtype: str, workers: int, progress: bool,
) -> tuple[Any, Any, Any]:  # fmt: skip
    """Build (or resume) records ``lo:hi`` of ``source`` in ``build``; returns its state."""
    _check_build_space(build, hi - lo, cfg, dtype)
    state = _open_state(build, hi - lo, cfg, dtype)
    todo = np.flatnonzero(np.asarray(state[1]) == 0)
    if len(todo) < hi - lo:
        logger.info("%s: resuming, %d of %d records already done",
                    build, hi - lo - len(todo), hi - lo)  # fmt: skip
    _run_jobs(source, lo, todo, cfg, qc, dtype, max(1, workers), state, build / EVENTS, progress)
    return state


def _compact(parts: list[tuple[Any, np.ndarray]], dtype: Any, shape: tuple[int, ...],
             dest: Path) -> None:  # fmt: skip
    """Write the good rows of every (signals, good) part, in order, into a new ``dest``."""
    from numpy.lib.format import open_memmap

    total = sum(int(g.sum()) for _, g in parts)
    final = open_memmap(dest, mode="w+", dtype=dtype, shape=(total, *shape))
    preallocate(dest)
    at = 0
    for partial, good in parts:
        rows = np.flatnonzero(good)
        for s in range(0, len(rows), 1024):
            chunk = rows[s : s + 1024]
            final[at : at + len(chunk)] = partial[chunk]
            at += len(chunk)
    final.flush()
    del final


def write_cache(
    source: Source, out: Path, build: Path, parts: list[tuple[Any, np.ndarray]],
    hashes: np.ndarray, events: dict[int, dict[str, Any]], meta: dict[str, Any],
    move: Path | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Move the signals into ``out/signals.npy`` and write the manifest (last); returns it.

    ``parts``: the (signals, good) of each build in record order; ``move``: a build's
    ``partial.npy`` to rename into place instead of copying (one part, nothing skipped).
    """
    good = np.concatenate([g for _, g in parts])
    skipped = [{"id": source.records[i].id, **{k: v for k, v in events.get(int(i), {
        "code": "error", "reason": "unknown (no event recorded)"}).items()
        if k in ("code", "reason")}} for i in np.flatnonzero(~good)]  # fmt: skip
    if not good.any():
        first = skipped[0]
        raise NoUsableRecordsError(
            f"{source.dataset}: all {len(source.records)} records were skipped "
            f"(first: {first['id']}: [{first['code']}] {first['reason']})"
        )
    manifest, per = _manifest(source, meta, good, hashes, skipped, events)
    from merl_core.data.columns import FOLDER

    manifest["columns"] = write_columns(build / FOLDER, per)
    del per
    (out / "manifest.json").unlink(missing_ok=True)
    if move is not None:
        os.replace(move, out / "signals.npy")
    else:
        row = 12 * meta["cfg"].length * np.dtype(meta["dtype"]).itemsize
        check_free_space(out, int(good.sum()) * row, "the compacted cache")
        _compact(parts, parts[0][0].dtype, parts[0][0].shape[1:], build / "final.npy")
        os.replace(build / "final.npy", out / "signals.npy")
    shutil.rmtree(out / FOLDER, ignore_errors=True)
    os.replace(build / FOLDER, out / FOLDER)
    atomic_write_text(
        out / "manifest.json", json.dumps(manifest, separators=(",", ":"), ensure_ascii=False)
    )
    return manifest


def resolve_settings(source: Source, cfg: PreprocessConfig | None, dtype: str,
             quality: QualityConfig | None) -> tuple[PreprocessConfig, QualityConfig]:  # fmt: skip
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, not {dtype!r}")
    if not source.records:
        raise NoUsableRecordsError(f"{source.dataset}: no records found")
    return cfg or PreprocessConfig(), quality or quality_for(source.dataset)


def prepare_source(
    source: Source, out: str | Path, *, cfg: PreprocessConfig | None = None,
    dtype: str = "float32", workers: int = 1, params: dict[str, Any] | None = None,
    progress: bool = True, quality: QualityConfig | None = None,
) -> Path:  # fmt: skip
    """Preprocess every record of ``source`` into a cache folder ``out``; returns ``out``.

    An existing cache with the same fingerprint is reused; one with another fingerprint is
    rebuilt. An interrupted build resumes where it stopped. A cluster builds contiguous blocks of
    records with :func:`merl_core.data.shards.prepare_shard` and merges them with
    :func:`merl_core.data.shards.merge_shards`.

    Raises:
        NoUsableRecordsError: every record was skipped.
        PrepareLockedError: another run is writing ``out`` (or this shard of it).
        InsufficientSpaceError: the cache would not fit on the disk.
    """
    cfg, qc = resolve_settings(source, cfg, dtype, quality)
    params = dict(params or {})
    out = Path(out)
    fp = fingerprint(source, cfg, dtype, params, qc)
    old = existing_fingerprint(out)
    if old == fp and (out / "signals.npy").exists():
        logger.info("%s: cache is up to date (fingerprint %s), reused", out, fp[:12])
        return out
    with folder_lock(out) as held:
        remove_stale_builds(out, fp, held)
        if old is not None and old != fp:
            logger.warning("%s: cache was built with other parameters (%s ≠ %s): rebuilding",
                           out, old[:12], fp[:12])  # fmt: skip
        build = out / build_name(fp)
        t0 = time.perf_counter()
        partial, status, hashes = build_range(source, build, 0, len(source.records), cfg, qc,
                                              dtype, workers, progress)  # fmt: skip
        good = np.asarray(status) == 1
        events = read_events(build / EVENTS)
        meta = {"cfg": cfg, "qc": qc, "dtype": dtype, "params": params, "fp": fp}
        del status
        move = build / "partial.npy" if good.all() else None
        if move is not None:
            del partial
            partial = np.zeros((len(good), 0), dtype=np.float32)  # placeholder: file is moved
        manifest = write_cache(source, out, build, [(partial, good)], np.asarray(hashes),
                               events, meta, move)  # fmt: skip
        del partial, hashes
        write_build_info(out, time.perf_counter() - t0, None)
        shutil.rmtree(build, ignore_errors=True)
    log_counts(out, manifest)
    return out


def write_build_info(out: Path, seconds: float, shards: int | None) -> None:
    """``build.json``: when and how fast the cache was built (kept out of the manifest, which
    depends on the inputs only, so a resumed or merged build gives identical bytes)."""
    atomic_write_json(out / "build.json", {
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(seconds, 3), "shards": shards,
    })  # fmt: skip


def log_counts(out: Path, manifest: dict[str, Any]) -> None:
    c = manifest["counts"]
    reasons = ", ".join(f"{k} {v}" for k, v in manifest["skip_reasons"].items())
    logger.info("%s: %d records cached, %d skipped%s", out, c["cached"], c["skipped"],
                f" ({reasons})" if reasons else "")  # fmt: skip


def _manifest(
    source: Source, meta: dict[str, Any], good: np.ndarray, hashes: Any,
    skipped: list[dict[str, Any]], events: dict[int, dict[str, Any]],
) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """(the manifest's summary, the per-record columns to write beside it)."""
    cfg, qc = meta["cfg"], meta["qc"]
    rows = np.flatnonzero(good)
    recs = [source.records[i] for i in rows]
    digests = [bytes(hashes[i]).decode() for i in rows]
    has_reports = any(r.report is not None for r in source.records)
    info: dict[str, Any] = {}
    info_cols: dict[str, list[str]] = {}
    for k, v in source.info.items():
        if isinstance(v, list) and len(v) == len(good):
            v = [v[i] for i in rows]
            if all(isinstance(x, str) for x in v):
                info[k] = {"column": f"info.{k}"}
                info_cols[f"info.{k}"] = v
                continue
        info[k] = v
    kept = [(source.records[i].id, events.get(int(i), {})) for i in rows]
    zeroed = {rid: ev["zeroed"] for rid, ev in kept if "zeroed" in ev}
    resampled = {rid: ev["resampled_from"] for rid, ev in kept if "resampled_from" in ev}
    summary = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "fingerprint": meta["fp"],
        "dataset": source.dataset,
        "n": len(rows), "shape": [len(rows), 12, cfg.length], "dtype": meta["dtype"],
        "fs": cfg.fs, "lead_order": list(LEADS), "preprocessing": cfg.to_dict(),
        "quality": qc.to_dict(), "params": meta["params"], "info": info,
        "has_reports": has_reports, "label_names": list(source.label_names),
        "tasks": {t: {"label_names": names} for t, (names, _) in source.extra_tasks.items()},
        "source_hash": hashlib.sha256("".join(digests).encode()).hexdigest(),
        "counts": {"records": len(source.records), "cached": len(rows), "skipped": len(skipped),
                   "missing": len(source.missing), "zeroed": len(zeroed),
                   "resampled": len(resampled)},
        "skip_reasons": dict(sorted(Counter(s["code"] for s in skipped).items())),
    }  # fmt: skip
    strings = {"ids": [r.id for r in recs], **info_cols}
    if has_reports:
        strings["reports"] = [r.report or "" for r in recs]
    arrays = {"labels": np.asarray(source.labels, dtype=np.float32)[rows],
              "source_sha256": np.array(digests, dtype="S64").reshape(len(rows))}  # fmt: skip
    for t, (_, m) in source.extra_tasks.items():
        arrays[f"labels.{t}"] = np.asarray(m, dtype=np.float32)[rows]
    notes = {"skipped": skipped, "missing": source.missing, "zeroed_leads": zeroed,
             "resampled_from": resampled}  # fmt: skip
    return summary, {"strings": strings, "arrays": arrays, "notes": notes}


def write_columns(folder: Path, per: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Write the per-record columns into ``folder`` (new); returns the manifest's ``columns``."""
    from ckepe.fileio import atomic_write_bytes
    from merl_core.data.columns import seal, write_array, write_strings

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    entries = {name: write_strings(folder, name, v) for name, v in per["strings"].items()}
    entries.update({name: write_array(folder, name, a) for name, a in per["arrays"].items()})
    atomic_write_bytes(folder / "notes.json", json.dumps(
        per["notes"], separators=(",", ":"), ensure_ascii=False).encode())  # fmt: skip
    entries["notes"] = {"kind": "json", "files": ["notes.json"]}
    return seal(folder, entries)
