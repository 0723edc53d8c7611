"""Sharded preparation: N jobs each build one contiguous block of records, then one merge.

``prepare --shard I/N`` builds records ``I·n//N`` to ``(I+1)·n//N`` into
``<out>/.build-<fp>-s<I>of<N>/`` under its own lock (so N jobs share one ``--out`` on a
shared file system), resumable like an unsharded build, and marks it ``done.json``.
``prepare --merge`` (same arguments, no ``--shard``) checks that every shard of the same
fingerprint is done, concatenates their good rows in record order and writes the manifest
from the same function as an unsharded build: the merged cache is byte-for-byte the same.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from ckepe.fileio import atomic_write_json
from merl_core.data.buildfs import PrepareError, build_name, folder_lock, remove_stale_builds
from merl_core.data.preprocess import PreprocessConfig
from merl_core.data.quality import QualityConfig
from merl_core.data.source import Source

logger = logging.getLogger(__name__)


class ShardError(PrepareError):
    """A bad ``--shard`` value, or shards that cannot be merged."""


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` → (I, N) with 0 ≤ I < N."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not m or int(m.group(2)) < 1 or int(m.group(1)) >= int(m.group(2)):
        raise ShardError(f"--shard must be I/N with 0 ≤ I < N (e.g. 0/8), not {text!r}")
    return int(m.group(1)), int(m.group(2))


def shard_range(n: int, shard: tuple[int, int]) -> tuple[int, int]:
    """Record range [lo, hi) of shard ``(I, N)`` of ``n`` records."""
    i, k = shard
    return n * i // k, n * (i + 1) // k


def prepare_shard(
    source: Source, out: str | Path, shard: tuple[int, int], *, cfg: PreprocessConfig | None = None,
    dtype: str = "float32", workers: int = 1, params: dict[str, Any] | None = None,
    progress: bool = True, quality: QualityConfig | None = None,
) -> Path:  # fmt: skip
    """Build the ``shard=(I, N)``-th contiguous block of ``source``'s records for the cache
    ``out`` (resuming it if interrupted); returns its build folder."""
    from merl_core.data.prepare import fingerprint, resolve_settings

    cfg, qc = resolve_settings(source, cfg, dtype, quality)
    fp = fingerprint(source, cfg, dtype, dict(params or {}), qc)
    return build_shard(source, Path(out), fp, shard, cfg, qc, dtype, workers, progress)


def build_shard(
    source: Source, out: Path, fp: str, shard: tuple[int, int], cfg: PreprocessConfig,
    qc: QualityConfig, dtype: str, workers: int, progress: bool,
) -> Path:  # fmt: skip
    """Build one shard (resuming it if interrupted); returns its build folder."""
    from merl_core.data.prepare import build_range, existing_fingerprint

    if existing_fingerprint(out) == fp and (out / "signals.npy").exists():
        logger.info("%s: the merged cache is up to date; shard %d/%d not rebuilt", out, *shard)
        return out
    n = len(source.records)
    if shard[1] > n:
        raise ShardError(f"--shard {shard[0]}/{shard[1]}: more shards than records ({n})")
    lo, hi = shard_range(n, shard)
    build = out / build_name(fp, shard)
    with folder_lock(out, shard) as held:
        remove_stale_builds(out, fp, held)
        done = _read_done(build)
        if done is not None and done.get("fingerprint") == fp:
            logger.info("%s: shard %d/%d already done", build, *shard)
            return build
        t0 = time.perf_counter()
        _, status, _ = build_range(source, build, lo, hi, cfg, qc, dtype, workers, progress)
        good = int((np.asarray(status) == 1).sum())
        atomic_write_json(build / "done.json", {
            "fingerprint": fp, "shard": list(shard), "lo": lo, "hi": hi, "cached": good,
            "skipped": hi - lo - good, "seconds": round(time.perf_counter() - t0, 3),
        })  # fmt: skip
    logger.info("%s: shard %d/%d done: records %d–%d, %d cached", build, *shard, lo, hi, good)
    return build


def _read_done(build: Path) -> dict[str, Any] | None:
    try:
        return dict(json.loads((build / "done.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def _find_shards(out: Path, fp: str, n: int) -> list[tuple[Path, dict[str, Any]]]:
    pattern = re.compile(rf"^\.build-{fp[:16]}-s(\d+)of(\d+)$")
    found: dict[int, dict[int, Path]] = {}
    for entry in out.glob(f".build-{fp[:16]}-s*"):
        m = pattern.match(entry.name)
        if m:
            found.setdefault(int(m.group(2)), {})[int(m.group(1))] = entry
    if not found:
        raise ShardError(f"{out}: no shards of this dataset and these parameters to merge "
                         f"(fingerprint {fp[:12]}); run prepare --shard I/N first")  # fmt: skip
    if len(found) > 1:
        raise ShardError(
            f"{out}: shards of several splits ({', '.join(map(str, sorted(found)))}"
            " shards) with the same parameters; remove the unwanted ones"
        )
    total, shards = next(iter(found.items()))
    todo = [
        f"{i}/{total}"
        for i in range(total)
        if i not in shards or (_read_done(shards[i]) or {}).get("fingerprint") != fp
    ]
    if todo:
        raise ShardError(f"{out}: shard(s) {', '.join(todo)} not done; run prepare --shard "
                         "for each before --merge")  # fmt: skip
    parts = [(shards[i], _read_done(shards[i]) or {}) for i in range(total)]
    for i, (_, done) in enumerate(parts):
        if (done["lo"], done["hi"]) != shard_range(n, (i, total)):
            raise ShardError(f"{out}: shard {i}/{total} covers other records than expected")
    return parts


def merge_shards(
    source: Source, out: str | Path, *, cfg: PreprocessConfig | None = None,
    dtype: str = "float32", params: dict[str, Any] | None = None,
    quality: QualityConfig | None = None,
) -> Path:  # fmt: skip
    """Merge the finished shards of ``source`` into the cache ``out``; returns ``out``.

    Raises:
        ShardError: no shards, a shard not done, or shards of several splits.
        NoUsableRecordsError: every record was skipped.
    """
    from merl_core.data.prepare import (
        EVENTS,
        existing_fingerprint,
        fingerprint,
        log_counts,
        read_events,
        resolve_settings,
        write_build_info,
        write_cache,
    )

    cfg, qc = resolve_settings(source, cfg, dtype, quality)
    params = dict(params or {})
    out = Path(out)
    fp = fingerprint(source, cfg, dtype, params, qc)
    if existing_fingerprint(out) == fp and (out / "signals.npy").exists():
        logger.info("%s: cache is up to date (fingerprint %s), nothing to merge", out, fp[:12])
        return out
    t0 = time.perf_counter()
    with folder_lock(out) as held:
        shards = _find_shards(out, fp, len(source.records))
        parts, hashes, events = [], [], {}
        for build, _ in shards:
            status = np.load(build / "status.npy", mmap_mode="r")
            parts.append((np.load(build / "partial.npy", mmap_mode="r"), np.asarray(status) == 1))
            hashes.append(np.asarray(np.load(build / "hashes.npy", mmap_mode="r")))
            events.update(read_events(build / EVENTS))
        work = out / build_name(fp)
        work.mkdir(exist_ok=True)
        meta = {"cfg": cfg, "qc": qc, "dtype": dtype, "params": params, "fp": fp}
        manifest = write_cache(source, out, work, parts, np.concatenate(hashes), events, meta)
        del parts
        write_build_info(out, time.perf_counter() - t0, len(shards))
        for build, _ in shards:
            shutil.rmtree(build, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        remove_stale_builds(out, fp, held)
    log_counts(out, manifest)
    return out
