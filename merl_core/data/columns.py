"""Per-record columns of a prepared cache, memory-mapped (``<cache>/columns/``).

A cache of 800,000 records must not cost every process (and every DataLoader worker) a parse of
a JSON document of ~1 KB per record. ``manifest.json`` keeps the summary; the per-record data
lives in files each process maps and pages in only where it reads:

- strings (ids, reports, per-record ``info`` lists): ``<name>.bin`` (UTF-8, concatenated) and
  ``<name>.idx.npy`` (int64 offsets, n + 1): :class:`StringColumn`;
- labels: ``labels.npy`` / ``labels.<task>.npy``, (n, C) float32, NaN = unknown;
- source hashes: ``source_sha256.npy`` (n,) ``S64`` hex: :class:`HashColumn`;
- the records skipped, missing, zeroed or resampled: ``notes.json`` (read on first use).

Every file is written deterministically (same inputs, same bytes) and its SHA-256 recorded in
the manifest, so the manifest's own hash still identifies the whole cache.
"""

from __future__ import annotations

import json
import mmap
import operator
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ckepe.fileio import atomic_write_bytes, sha256_file

FOLDER = "columns"
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


def _npy_bytes(arr: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _check_name(name: str) -> str:
    if not _NAME_RE.match(name):
        raise ValueError(f"column name {name!r}: letters, digits, '_', '.', '-' only")
    return name


def write_strings(folder: Path, name: str, values: Sequence[str]) -> dict[str, Any]:
    """Write ``name.bin`` + ``name.idx.npy``; returns their manifest entry."""
    encoded = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    _check_name(name)
    atomic_write_bytes(folder / f"{name}.bin", b"".join(encoded))
    atomic_write_bytes(folder / f"{name}.idx.npy", _npy_bytes(offsets))
    return {"kind": "strings", "files": [f"{name}.bin", f"{name}.idx.npy"], "n": len(encoded)}


def write_array(folder: Path, name: str, arr: np.ndarray) -> dict[str, Any]:
    """Write ``name.npy``; returns its manifest entry."""
    _check_name(name)
    atomic_write_bytes(folder / f"{name}.npy", _npy_bytes(np.ascontiguousarray(arr)))
    return {"kind": "array", "files": [f"{name}.npy"], "n": int(arr.shape[0])}


def seal(folder: Path, entries: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Add each file's size and SHA-256 to the entries (for the manifest)."""
    for entry in entries.values():
        entry["sha256"] = {f: sha256_file(folder / f) for f in entry["files"]}
        entry["bytes"] = {f: (folder / f).stat().st_size for f in entry["files"]}
    return entries


def row_ranges(data_offset: int, row_bytes: int, rows: Any,
               page: int = mmap.PAGESIZE) -> list[tuple[int, int]]:  # fmt: skip
    """(start, length) of each row's bytes in a map whose data begins at ``data_offset``,
    the start rounded down to a page (what ``madvise`` takes)."""
    out = []
    for i in rows:
        start = data_offset + int(i) * row_bytes
        first = start - start % page
        out.append((first, start + row_bytes - first))
    return out


def prefetch_rows(arr: np.ndarray, rows: Any) -> None:
    """Start reading ``rows`` of a memory-mapped array now, all at once (``MADV_WILLNEED``).

    A page fault on a cold map reads ``read_ahead_kb`` around the page (8 MB on this project's
    virtual disk): for a random 240 KB row that is 30× the bytes needed, one row at a time.
    Advised first, the batch's rows are read as exactly their bytes, queued together, and the
    copy then finds them in the page cache. No effect on a warm cache or without ``madvise``.
    """
    mm = getattr(arr, "_mmap", None)
    if mm is None or not hasattr(mm, "madvise") or not hasattr(mmap, "MADV_WILLNEED"):
        return
    # np.memmap maps from the offset rounded down to the allocation granularity
    offset = int(getattr(arr, "offset", 0)) % mmap.ALLOCATIONGRANULARITY
    for start, length in row_ranges(offset, int(arr.strides[0]), rows):
        mm.madvise(mmap.MADV_WILLNEED, start, length)


class StringColumn(Sequence[str]):
    """n strings read from a memory-mapped UTF-8 blob (nothing decoded until asked).

    Pickles as its two file names (a worker reopens the maps, never a copy of the strings).
    """

    def __init__(self, blob: str | Path, index: str | Path) -> None:
        self.blob_path, self.index_path = str(blob), str(index)
        self._off = np.load(self.index_path, mmap_mode="r")
        size = Path(self.blob_path).stat().st_size
        self._blob = (np.memmap(self.blob_path, dtype=np.uint8, mode="r") if size
                      else np.zeros(0, dtype=np.uint8))  # fmt: skip
        if self._off.ndim != 1 or len(self._off) < 1 or int(self._off[-1]) != size:
            raise ValueError(f"{self.index_path}: offsets do not match {self.blob_path}")

    def __len__(self) -> int:
        return len(self._off) - 1

    def _one(self, i: int) -> str:
        a, b = int(self._off[i]), int(self._off[i + 1])
        return bytes(self._blob[a:b]).decode("utf-8")

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self._one(k) for k in range(*i.indices(len(self)))]
        k = operator.index(i)
        n = len(self)
        if k < 0:
            k += n
        if not 0 <= k < n:
            raise IndexError(f"record {i} out of range (n={n})")
        return self._one(k)

    def __iter__(self) -> Iterator[str]:
        n, step = len(self), 4096
        for s in range(0, n, step):
            off = np.asarray(self._off[s : min(n, s + step) + 1])
            data = bytes(self._blob[int(off[0]) : int(off[-1])])
            base = int(off[0])
            for a, b in zip(off[:-1], off[1:], strict=True):
                yield data[int(a) - base : int(b) - base].decode("utf-8")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.array(list(self), dtype=dtype)

    def __repr__(self) -> str:
        return f"StringColumn({self.blob_path!r}, n={len(self)})"

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (StringColumn, (self.blob_path, self.index_path))


class HashColumn(Mapping[str, str]):
    """Record id → source SHA-256, over the id column and a memory-mapped ``S64`` array (the
    id → row index is built on the first lookup by id)."""

    def __init__(self, ids: Sequence[str], hashes: np.ndarray) -> None:
        self.ids, self.hashes = ids, hashes
        self._row: dict[str, int] | None = None

    def __getitem__(self, rid: str) -> str:
        if self._row is None:
            self._row = {r: k for k, r in enumerate(self.ids)}
        return bytes(self.hashes[self._row[rid]]).decode()

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)


def read_notes(path: Path) -> dict[str, Any]:
    """``notes.json``: skipped, missing, zeroed_leads, resampled_from."""
    with open(path, encoding="utf-8") as fh:
        return dict(json.load(fh))
