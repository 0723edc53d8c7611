"""Checks that stop an evaluation from running on the wrong thing, each with a one-line message.

- the checkpoint: a folder, a run folder or its ``model.safetensors``; zero-shot refuses an
  ECG-encoder-only checkpoint (no text encoder) before loading anything;
- the prompt set ↔ data: a prompt set written for another dataset is named as such;
- the preprocessing ↔ data: a cache prepared at another sampling rate, length,
  normalisation or lead order than the checkpoint's model was trained with is refused;
- the records: the evaluated records that the checkpoint was pretrained on are counted.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from merl_core.data.preprocess import InputSpec
from merl_core.train.checkpoint import CheckpointError

logger = logging.getLogger(__name__)

NOT_A_BENCHMARK = (
    "NOT A BENCHMARK: every cached record scored with the cache's labels (no test "
    "split, no validation thresholds); do not compare these numbers with published ones"
)


def checkpoint_folder(path: str | Path) -> Path:
    """The folder of a checkpoint given as a folder, a run folder, or one of its files."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: checkpoint not found")
    if path.is_file():
        if (path.parent / "config.json").is_file():
            return path.parent  # model.safetensors or config.json of a checkpoint folder
        if path.suffix in (".pth", ".pt", ".bin"):
            raise CheckpointError(
                f"{path}: a PyTorch pickle, not this project's checkpoint; published MERL "
                "weights are imported once, with merl-core import-upstream"
            )
        raise CheckpointError(f"{path}: not a checkpoint (no config.json beside it)")
    return path


def checkpoint_doc(path: Path) -> dict[str, Any]:
    """The ``config.json`` of a checkpoint (or run) folder, as a dict."""
    from merl_core.train.checkpoint import read_config

    try:
        return read_config(path)
    except OSError as exc:
        raise CheckpointError(str(exc)) from exc


def require_text(path: Path, doc: dict[str, Any]) -> None:
    """Refuse an ECG-encoder-only checkpoint for zero-shot (it has no text encoder)."""
    if "text" not in doc.get("components", ["ecg", "text"]):
        raise CheckpointError(
            f"{path}: an ECG-encoder-only checkpoint (exported, or imported as the encoder "
            "only) has no text encoder; zero-shot needs the whole model (use it with the "
            "linear probe)"
        )


class PreprocessingMismatch(CheckpointError):
    """The data was prepared otherwise than the checkpoint's model was trained on."""


def check_preprocessing(model: Any, cache: Any, checkpoint: str | Path | None = None) -> None:
    """Refuse a cache prepared otherwise than ``model``'s checkpoint records, naming both
    values of each difference (a warning when either records no preprocessing)."""
    want = InputSpec.from_meta(getattr(model, "meta", None))
    have = InputSpec.from_meta(getattr(cache, "meta", None))
    name = f"checkpoint {checkpoint}" if checkpoint is not None else "the checkpoint"
    if want is None or have is None:
        logger.warning("%s records no preprocessing: the data's preprocessing is not checked",
                       name if want is None else f"cache {cache.path}")  # fmt: skip
        return
    diffs = want.differences(have)
    if diffs:
        raise PreprocessingMismatch(
            f"{cache.path}: data prepared with "
            + ", ".join(f"{f} {_show(h)}" for f, _, h in diffs)
            + f"; {name} expects "
            + ", ".join(f"{f} {_show(w)}" for f, w, _ in diffs)
            + " (prepare the data again with the checkpoint's preprocessing)"
        )


def _show(value: Any) -> str:
    return ",".join(value) if isinstance(value, tuple) else str(value)


def check_prompt_dataset(prompts_path: Path, prompt_dataset: str | None,
                         data_dataset: str | None) -> None:  # fmt: skip
    """A prompt set written for another dataset than the data's, named as such."""
    if prompt_dataset and data_dataset and prompt_dataset != data_dataset:
        raise CheckpointError(
            f"{prompts_path}: this prompt set is for {prompt_dataset}, the data is "
            f"{data_dataset} (give the {data_dataset} prompt set, e.g. prompts/{data_dataset}.json)"
        )


def pretraining_overlap(meta: dict[str, Any], cache: Any, rows: np.ndarray) -> dict[str, Any]:
    """How many of the evaluated cache ``rows`` the checkpoint was pretrained on.

    Read from the checkpoint's ``train_data`` (pretraining cache, its fingerprint and the
    number of records used, the first ones). Empty when the checkpoint does not say.
    """
    train = meta.get("train_data") or {}
    n_used = train.get("records")
    if not train or n_used is None:
        return {}
    same = train.get("fingerprint") and train.get("fingerprint") == cache.meta.get("fingerprint")
    train_ids: list[str] | None = None
    if same:
        train_ids = list(cache.ids[:n_used])
    elif train.get("cache") and (Path(train["cache"]) / "manifest.json").is_file():
        from merl_core.data.cache import ECGCache

        try:  # the ids live in the cache's columns (format 3), not in manifest.json
            train_ids = [str(i) for i in ECGCache(Path(train["cache"])).ids[:n_used]]
        except (OSError, ValueError):
            train_ids = None
    if train_ids is None:
        return {}
    evaluated = {str(cache.ids[i]) for i in rows}
    both = evaluated & set(map(str, train_ids))
    return {"records": len(both), "of": len(evaluated), "pretraining_cache": train.get("cache"),
            "examples": sorted(both)[:5]}  # fmt: skip


def warn_overlap(name: str, overlap: dict[str, Any]) -> str | None:
    """Log and return a warning line when evaluated records were seen in pretraining."""
    if not overlap or not overlap.get("records"):
        return None
    line = (
        f"WARNING {name}: {overlap['records']} of {overlap['of']} evaluated records were in the "
        f"checkpoint's pretraining data ({overlap.get('pretraining_cache')}): scores are optimistic"
    )
    logger.warning(line)
    return line
