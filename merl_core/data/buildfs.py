"""The cache folder's housekeeping: one writer per folder (or shard), free space, stale builds.

A build holds an exclusive ``flock`` on ``<out>/.lock`` (a shard on ``<out>/.lock-s<I>of<N>``)
for as long as it writes: a second run on the same folder stops with a one-line error naming
the holder. The kernel releases the lock when the holder dies, so a killed run never blocks
the next one. Build folders are ``.build-<fingerprint[:16]>`` (shards add ``-s<I>of<N>``);
those of another fingerprint are removed by the next run that can take their lock.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import re
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from merl_core.errors import MerlCoreError

logger = logging.getLogger(__name__)

SPACE_MARGIN = 64 << 20  # bytes kept free beyond the cache itself
_BUILD_RE = re.compile(r"^\.build-([0-9a-f]{16})(?:-s(\d+)of(\d+))?$")


class PrepareError(MerlCoreError, RuntimeError):
    """A build that cannot start or finish (the message is one line)."""


class PrepareLockedError(PrepareError):
    """Another run is writing the same cache folder (or shard)."""


class InsufficientSpaceError(PrepareError):
    """The cache would not fit on its file system."""


def lock_name(shard: tuple[int, int] | None = None) -> str:
    """File name of the lock of a whole build (``None``) or of one shard."""
    return ".lock" if shard is None else f".lock-s{shard[0]}of{shard[1]}"


def build_name(fp: str, shard: tuple[int, int] | None = None) -> str:
    """Folder name of the build of fingerprint ``fp`` (or of one shard of it)."""
    return f".build-{fp[:16]}" + ("" if shard is None else f"-s{shard[0]}of{shard[1]}")


def _try_lock(path: Path) -> int | None:
    """An open descriptor holding the lock, or None when another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except OSError as exc:  # a file system without flock (some NFS mounts): cannot guard
        logger.warning("%s: file locks are not supported here (%s); make sure only one "
                       "prepare writes this folder", path.parent, exc)  # fmt: skip
    return fd


@contextlib.contextmanager
def folder_lock(out: Path, shard: tuple[int, int] | None = None) -> Iterator[Path]:
    """Hold the lock of ``out`` (or of one shard of it) while the block runs.

    Raises:
        PrepareLockedError: another process holds it.
    """
    out.mkdir(parents=True, exist_ok=True)
    path = out / lock_name(shard)
    fd = _try_lock(path)
    if fd is None:
        try:
            holder = path.read_text(encoding="utf-8").strip() or "unknown process"
        except OSError:
            holder = "unknown process"
        what = "this folder" if shard is None else f"shard {shard[0]}/{shard[1]} of it"
        raise PrepareLockedError(f"{out}: another prepare ({holder}) is writing {what}; wait "
                                 "for it to finish or choose another --out")  # fmt: skip
    try:
        info = f"pid {os.getpid()} on {socket.gethostname()} since " + \
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())  # fmt: skip
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def human_bytes(n: float) -> str:
    """``1.5 GB``-style size."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover


def allocated_bytes(path: Path) -> int:
    """Bytes a (possibly sparse) file already holds on disk; 0 when absent."""
    try:
        return int(path.stat().st_blocks) * 512
    except OSError:
        return 0


def check_free_space(folder: Path, need: int, what: str) -> None:
    """Raise when ``need`` more bytes (plus a margin) do not fit beside ``folder``.

    Raises:
        InsufficientSpaceError: naming the folder, the need and what is free.
    """
    free = shutil.disk_usage(folder).free
    if need + SPACE_MARGIN > free:
        raise InsufficientSpaceError(f"{folder}: not enough free space for {what}: needs "
                                     f"{human_bytes(need)}, {human_bytes(free)} free")  # fmt: skip


def preallocate(path: Path) -> None:
    """Reserve the disk blocks of ``path`` for its whole length (memory maps are sparse: a
    write into a hole on a full disk is a SIGBUS, not an error).

    Raises:
        InsufficientSpaceError: the disk cannot hold it (one line; the build resumes).
    """
    size = path.stat().st_size
    if size == 0 or allocated_bytes(path) >= size:
        return
    fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise InsufficientSpaceError(
            f"{path}: the disk is full (cannot reserve {human_bytes(size)}); free some space "
            "and rerun the same command: it resumes from the records done"
        ) from None
    finally:
        os.close(fd)


def remove_stale_builds(out: Path, keep_fp: str, held: Path) -> list[str]:
    """Remove build folders of fingerprints other than ``keep_fp`` whose lock can be taken.

    ``held`` is the lock this process already holds (its folders are removable as they are).
    Returns the names removed.
    """
    removed = []
    for entry in sorted(out.glob(".build-*")):
        m = _BUILD_RE.match(entry.name)
        if m is None or not entry.is_dir() or m.group(1) == keep_fp[:16]:
            continue
        shard = (int(m.group(2)), int(m.group(3))) if m.group(2) else None
        lock = out / lock_name(shard)
        fd = None
        if lock != held:
            fd = _try_lock(lock)
            if fd is None:
                continue  # someone is writing it
        try:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
        finally:
            if fd is not None:
                os.close(fd)
    if held.name == ".lock":  # interrupted atomic writes of the manifest
        for tmp in out.glob(".manifest.json.*.tmp"):
            tmp.unlink(missing_ok=True)
    if removed:
        logger.info("%s: removed stale build folders %s", out, ", ".join(removed))
    return removed
