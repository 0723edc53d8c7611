"""Fault injection: run a command in its own process group and SIGKILL the whole group when a
condition holds (as a scheduler's hard kill does). Used by tests/merl_core/test_faults.py and
benchmarks/bench_faults.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from merl_core.cli import app; app()"]


def env() -> dict[str, str]:
    """This environment with the repository first on the path."""
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([str(REPO), e.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return e


def run_and_kill(cmd: Sequence[str], when: Callable[[], bool], timeout_s: float = 300,
                 poll_s: float = 0.02) -> bool:  # fmt: skip
    """Run ``cmd``; SIGKILL its process group as soon as ``when()`` is true.

    Returns True when it was killed, False when it ended first (then it must have exited 0).
    """
    proc = subprocess.Popen(list(cmd), env=env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + timeout_s
    try:
        while proc.poll() is None:
            if when():
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
                return True
            if time.monotonic() > deadline:
                raise TimeoutError(f"{cmd[3:]} still running after {timeout_s} s")
            time.sleep(poll_s)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"exit {proc.returncode}: {err[-2000:]}")
    return False


def records_done(out: Path) -> int:
    """Records finished so far in a cache folder's build(s) (0 before a build exists)."""
    total = 0
    for status in out.glob(".build-*/status.npy"):
        try:
            total += int(np.count_nonzero(np.load(status, mmap_mode="r")))
        except (OSError, ValueError):
            pass
    return total


def unexplained_skips(out: Path) -> list[int]:
    """Rows a build marked skipped that have no reason line (must be empty after any kill)."""
    import json

    bad = []
    for build in out.glob(".build-*"):
        try:
            status = np.load(build / "status.npy", mmap_mode="r")
        except (OSError, ValueError):
            continue
        lines = (build / "records.jsonl").read_text().splitlines() \
            if (build / "records.jsonl").exists() else []  # fmt: skip
        noted = set()
        for ln in lines:
            try:
                noted.add(int(json.loads(ln)["i"]))
            except (ValueError, KeyError):
                pass
        lo = 0
        done = build / "done.json"
        if done.exists():
            lo = int(json.loads(done.read_text())["lo"])
        bad += [lo + int(k) for k in np.flatnonzero(np.asarray(status) == 2)
                if lo + int(k) not in noted]  # fmt: skip
    return bad
