"""Preemption: SIGTERM / SIGUSR1 and a wall-clock timer ask the loop for a checkpoint.

A handler only records the signal; the loop reads it after each step, every rank agrees
(:func:`merl_core.train.distributed.any_rank`), the run saves the step reached and exits
cleanly. SLURM sends SIGTERM at the time limit (``--signal=USR1@180`` gives warning earlier);
torchrun passes SIGTERM on to its workers.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGUSR1)


class StopSignals:
    """Record SIGTERM / SIGUSR1 while installed (a context manager); restores old handlers."""

    def __init__(self, signals: tuple[signal.Signals, ...] = STOP_SIGNALS) -> None:
        self.signals = signals
        self.received: signal.Signals | None = None
        self._old: dict[signal.Signals, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signal.Signals(signum)

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():  # handlers: main thread only
            for sig in self.signals:
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()


class CheckpointClock:
    """Due every ``minutes`` of wall-clock time since the last checkpoint (0 = never)."""

    def __init__(self, minutes: float) -> None:
        self.period = minutes * 60.0
        self.last = time.monotonic()

    def due(self) -> bool:
        """True once the period has passed since the last :meth:`reset`."""
        return self.period > 0 and time.monotonic() - self.last >= self.period

    def reset(self) -> None:
        """A checkpoint was just written."""
        self.last = time.monotonic()


def ignore_stop_signals(_worker_id: int = 0) -> None:
    """DataLoader ``worker_init_fn``: workers leave SIGTERM/SIGUSR1 to the main process (SLURM
    signals every process of a step; a worker killed by it would abort the checkpoint)."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
