"""Resuming a run: where from, whether the saved settings allow it, and the metrics log.

A resumed run continues exactly only when everything that decides the data order and the
optimisation is unchanged: world size, batch size, seed, records used and cache fingerprint,
model architecture and text encoder. Any difference stops the run with the list of
differences; ``--resume force`` resumes anyway (the data order then differs from the
uninterrupted run's).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from ckepe.fileio import atomic_write_text
from merl_core.errors import MerlCoreError
from merl_core.train import checkpoint as ckpt_io

log = logging.getLogger(__name__)

FORCE = "force"


class ResumeMismatch(MerlCoreError, ValueError):
    """The checkpoint was made with settings this run does not share."""


def resume_point(resume: str | None, out: Path) -> Path | None:
    """The checkpoint to resume from: ``auto``/``force`` → the run folder's newest whole one
    (None when it has none), else the named checkpoint or run folder (which must be whole)."""
    if not resume:
        return None
    if resume in ("auto", FORCE):
        return ckpt_io.find_resume_point(out)
    path = Path(resume)
    if (path / ckpt_io.LATEST).exists() and not (path / "config.json").exists():
        point = ckpt_io.find_resume_point(path)
        if point is None:
            raise ckpt_io.CheckpointError(f"{path}: no checkpoint to resume from")
        return point
    point = ckpt_io.resolve_checkpoint(path)
    ckpt_io.verify_checkpoint(point)
    return point


def run_settings(cfg: Any, world_size: int, model_config: dict[str, Any],
                 train_data: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """The settings a resume must share with the checkpoint it continues."""
    text = model_config.get("text") or {}
    ecg = {k: v for k, v in model_config.items() if k != "text"}
    return {
        "world_size": world_size,
        "batch_size": cfg.batch_size,
        "seed": cfg.seed,
        "records": train_data.get("records"),
        "cache_fingerprint": train_data.get("fingerprint"),
        "model": ecg,
        "text_encoder": text,
    }


def saved_settings(state: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    """The same settings read back from a checkpoint (trainer state + config.json)."""
    saved = state.get("settings")
    if isinstance(saved, dict):
        return saved
    cfg = state.get("config") or {}  # checkpoints written before settings were recorded
    data = (doc.get("meta") or {}).get("train_data") or {}
    model = doc.get("model") or {}
    return {"world_size": state.get("world_size"), "batch_size": cfg.get("batch_size"),
            "seed": cfg.get("seed"), "records": data.get("records"),
            "cache_fingerprint": data.get("fingerprint"),
            "model": {k: v for k, v in model.items() if k != "text"},
            "text_encoder": model.get("text") or {}}  # fmt: skip


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def differences(saved: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """Human-readable ``key: checkpoint X, now Y`` lines (nested dicts by dotted key)."""
    out: list[str] = []
    for key in now:
        a, b = saved.get(key), now[key]
        if isinstance(a, dict) and isinstance(b, dict):
            for sub in sorted(set(a) | set(b)):
                x, y = a.get(sub), b.get(sub)
                if x != y:
                    out.append(f"{key}.{sub}: checkpoint {_short(x)}, now {_short(y)}")
        elif a != b:
            out.append(f"{key}: checkpoint {_short(a)}, now {_short(b)}")
    return out


def check_resume(point: Path, saved: dict[str, Any], now: dict[str, Any], force: bool) -> None:
    """Raise :class:`ResumeMismatch` when the settings differ (a warning with ``force``)."""
    diffs = differences(saved, now)
    if not diffs:
        return
    if force:
        log.warning("resuming %s with other settings (--resume force): %s", point,
                    "; ".join(diffs))  # fmt: skip
        return
    raise ResumeMismatch(f"{point}: cannot resume with other settings ({'; '.join(diffs)}); "
                         "use the checkpoint's settings or --resume force")  # fmt: skip


def truncate_metrics(path: Path, step: int) -> int:
    """Keep the records of ``path`` (JSON lines) up to ``step``; returns how many were cut."""
    if not path.exists():
        return 0
    kept, cut = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec_step = json.loads(line).get("step")
        except (ValueError, AttributeError):
            cut += 1  # a line half-written by a killed run
            continue
        if isinstance(rec_step, int) and rec_step > step:
            cut += 1
        else:
            kept.append(line)
    if cut:
        atomic_write_text(path, "".join(x + "\n" for x in kept))
        log.info("%s: dropped %d record(s) after step %d (redone from the checkpoint)",
                 path, cut, step)  # fmt: skip
    return cut
