"""Atomic, durable file writes and file hashes: the one implementation both packages use.

Torch-free and dependency-free, so ``merl_core`` may import it beside ``ckepe.promptfile``.
Every writer goes through :func:`atomic_write_bytes`: a temporary sibling, ``fsync``, the
user's umask applied (``mkstemp`` creates 0600, which colleagues on a shared server cannot
read), ``os.replace`` and an ``fsync`` of the folder, so a crash leaves the old file or the
new one, never half of either.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = [
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "canonical_sha256",
    "file_mode",
    "fsync_dir",
    "sha256_file",
]


def file_mode() -> int:
    """The mode a plain ``open(..., "w")`` would give a new file under the current umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def fsync_dir(path: str | Path) -> None:
    """Flush a folder's entries (a rename is durable only once its folder is synced)."""
    with contextlib.suppress(OSError):
        fd = os.open(str(path), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: str | Path, data: bytes, *, mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` atomically and durably; a failure keeps the old file.

    The temporary file has a unique name in the target's folder (``mkstemp``: created with
    ``O_EXCL``, so a link planted there is never followed); ``mode`` (default: the umask's)
    is set before the rename, so the file is never visible with other permissions.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, file_mode() if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)
    return path


def atomic_write_text(path: str | Path, text: str, *, mode: int | None = None) -> Path:
    """UTF-8 text through :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def atomic_write_json(path: str | Path, obj: Any, *, indent: int | None = 2,
                      sort_keys: bool = False, mode: int | None = None) -> Path:  # fmt: skip
    """JSON (UTF-8, trailing newline) through :func:`atomic_write_bytes`."""
    text = json.dumps(obj, indent=indent, sort_keys=sort_keys, ensure_ascii=False)
    return atomic_write_text(path, text + "\n", mode=mode)


def canonical_sha256(obj: Any) -> str:
    """SHA-256 hex of ``obj`` as canonical JSON (sorted keys, no spaces, UTF-8 kept): the one
    content hash of a prompt set's version and an LLM request's cache key."""
    blob = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 hex of a file, or of a folder's files (relative path + bytes, sorted)."""
    path = Path(path)
    h = hashlib.sha256()
    is_dir = path.is_dir()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if is_dir else [path]
    for f in files:
        if is_dir:
            h.update(str(f.relative_to(path)).encode())
        with open(f, "rb") as fh:
            while block := fh.read(chunk):
                h.update(block)
    return h.hexdigest()
