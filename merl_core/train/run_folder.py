"""A run folder has one owner: an exclusive lock while a run writes it, and an existing run
is neither continued nor replaced unless the user said which (``--resume`` / ``--overwrite``).

The lock is an ``flock`` on the run folder itself (as ``merl-core prepare`` locks its
folder): the kernel drops it when the holder dies, so a killed run never blocks the next
one. Checkpoint folders and the ``latest`` pointer must be plain entries of the run folder;
symbolic links there (which would make a resume read, or pruning delete, outside it) are
refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from merl_core.errors import MerlCoreError

log = logging.getLogger(__name__)

# What a pretraining run writes into its folder (and --overwrite removes; nothing else).
RUN_FILES = ("latest", "metrics.jsonl", "pretrain_config.yaml")
RUN_DIRS = ("tensorboard",)


class RunFolderError(MerlCoreError, ValueError):
    """The run folder is held by another run, holds a run, or is unsafe; one line."""


def existing_run(out: Path) -> list[str]:
    """Names of the run artefacts in ``out`` (empty when it holds no run)."""
    if not out.is_dir():
        return []
    found = sorted(p.name for p in out.glob("step_*"))
    found += [n for n in RUN_FILES + RUN_DIRS if (out / n).exists() or (out / n).is_symlink()]
    return found


def check_no_links(out: Path) -> None:
    """Refuse ``latest`` and ``step_*`` entries of ``out`` that are symbolic links."""
    if not out.is_dir():
        return
    for p in [out / "latest", *out.glob("step_*")]:
        if p.is_symlink():
            raise RunFolderError(
                f"{p}: a symbolic link (to {os.readlink(p)}); a run's checkpoints and its "
                "latest pointer must be inside the run folder, not links out of it"
            )


@contextlib.contextmanager
def run_lock(out: Path) -> Iterator[Path]:
    """Hold an exclusive ``flock`` on the folder ``out`` itself while the block runs (no lock
    file is left in the run folder; the kernel releases the lock when the holder dies).

    Raises:
        RunFolderError: another process holds it.
    """
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise RunFolderError(
            f"{out}: another run is writing this run folder; wait for it to finish or choose "
            "another --out"
        ) from None
    except OSError as exc:  # a file system without flock (some NFS mounts): cannot guard
        log.warning("%s: cannot lock (%s); make sure no other run writes this folder", out, exc)
    try:
        yield out
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def claim(out: Path, resume: str | None, overwrite: bool) -> None:
    """Check that this run may write ``out`` (called under :func:`run_lock`).

    An existing run is continued only with ``resume``, replaced only with ``overwrite``
    (its checkpoints, metrics, TensorBoard events and config are removed; other files kept).

    Raises:
        RunFolderError: an existing run and neither option, both options, or a link.
    """
    if resume and overwrite:
        raise RunFolderError("--resume and --overwrite exclude each other: continue the run or "
                             "replace it")  # fmt: skip
    check_no_links(out)
    found = existing_run(out)
    if not found or resume:
        return
    if not overwrite:
        shown = ", ".join(found[:4]) + (", ..." if len(found) > 4 else "")
        raise RunFolderError(
            f"{out}: holds a run ({shown}); continue it with --resume auto, replace it with "
            "--overwrite, or choose another --out"
        )
    log.warning("%s: --overwrite: removing the previous run (%s)", out, ", ".join(found))
    for name in found:
        p = out / name
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink(missing_ok=True)
