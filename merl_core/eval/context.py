"""One evaluation context: what every evaluation opens once and scores from.

An evaluation is configured by an :class:`EvalConfig` (where results go, the checkpoint, how
to score) and opened into an :class:`EvalContext`: the model loaded from its checkpoint with
its preprocessing (a cache prepared otherwise is refused, a dataset root is prepared as the
checkpoint records), the opened data, the prompt tables, the splits of each task, and the
features computed so far (ECG embeddings per lead subset, class matrices per prompt text).
Zero-shot, the protocol, the linear probe and the prompt comparison open one; a lead sweep
scores one context once per subset (:meth:`EvalContext.for_run`), so the cache, the model and
the prompts are opened once and the class matrices computed once.

The library returns results and never names a command-line option: a missing input raises
:class:`MissingInputError` with ``what`` saying which input; the command line maps that to its
own option names.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from merl_core import __version__
from merl_core.data.preprocess import InputSpec, PreprocessConfig
from merl_core.eval.checks import (
    CheckpointError,
    checkpoint_doc,
    checkpoint_folder,
    pretraining_overlap,
    require_text,
    warn_overlap,
)
from merl_core.eval.evalsets import (
    EvalDataError,
    EvalSplit,
    NoRecordsError,
    default_split_files,
    read_split_file,
    select_split,
    sibling_split,
)
from merl_core.eval.leads import subset_label, with_leads
from merl_core.eval.prompts import PromptTable
from merl_core.eval.report import sha256_file
from merl_core.paths import shared_data_root

logger = logging.getLogger(__name__)

# Where evaluation prepares a dataset root it is given instead of a cache (visible, beside
# the run folders; README "Evaluation"): <out>/../caches/<dataset>-<path hash>/.
CACHE_DIR_NAME = "caches"


class MissingInputError(EvalDataError):
    """An input the evaluation needs was not given.

    ``what`` names the input (``dataset``, ``test_split``, ``probe_splits``, ``data``,
    ``checkpoint``); the message says what is missing without naming a command-line option.
    """

    def __init__(self, what: str, message: str) -> None:
        super().__init__(message)
        self.what = what


@dataclass(frozen=True)
class EvalConfig:
    """How an evaluation runs: where it writes, which checkpoint, how it scores."""

    out: Path
    checkpoint: Path | None = None
    splits_root: Path | None = None  # the merl-splits folder (default: the data root's)
    prompt_mode: str = "description"  # description | phrases | name
    leads: tuple[str, ...] | None = None  # leads kept, the others zeroed (None: all 12)
    n_bootstrap: int = 1000
    seed: int = 0
    batch_size: int = 64
    device: str = "cpu"


@dataclass(frozen=True)
class EvalData:
    """One dataset's data opened for evaluation: the path given, its cache, the manifest hash."""

    source: Path
    cache: Any  # merl_core.data.cache.ECGCache
    manifest_sha256: str


@dataclass(frozen=True)
class TaskSplits:
    """One task to score: its data, prompt table (zero-shot) and splits."""

    dataset: str | None
    task: str
    name: str
    data: EvalData
    test: EvalSplit
    val: EvalSplit | None = None
    train: EvalSplit | None = None
    prompts: PromptTable | None = None


@dataclass
class EvalContext:
    """The opened evaluation: model, data, prompt tables, task splits and the features so far.

    :meth:`for_run` gives the same context with another run folder and lead subset; the
    features computed so far are shared between them.
    """

    config: EvalConfig
    model: Any  # MERLModel in eval mode (its ``meta`` records the preprocessing)
    tasks: list[TaskSplits]
    prompts: dict[str, PromptTable] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    banks: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)
    class_matrices: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)
    digests: dict[str, str] = field(default_factory=dict, repr=False)  # checkpoint hash, once

    def for_run(self, *, out: Path, leads: tuple[str, ...] | None) -> EvalContext:
        """This context writing to ``out`` with lead subset ``leads`` (features shared)."""
        config = dataclasses.replace(self.config, out=Path(out), leads=leads)
        return dataclasses.replace(self, config=config, notes=list(self.notes),
                                   skipped=dict(self.skipped))  # fmt: skip

    def bank(self, data: EvalData, *, view: Any = None, view_name: str = "embedding",
             normalize: bool = True) -> Any:  # fmt: skip
        """The ECG features of ``data`` under this run's lead subset (a ``FeatureBank``,
        computed once per data, subset and view); ``view``: another view of the model, named
        ``view_name`` (the probe's backbone features)."""
        from merl_core.eval.zeroshot import FeatureBank

        leads = self.config.leads
        key = (str(data.source), data.manifest_sha256, leads, view_name, normalize)
        if key not in self.banks:
            model = with_leads(view if view is not None else self.model, leads)
            self.banks[key] = FeatureBank(model, data.cache.signals, device=self.config.device,
                                          batch_size=self.config.batch_size,
                                          normalize=normalize)  # fmt: skip
        return self.banks[key]

    def class_matrix(self, texts: list[list[str]]) -> Any:
        """The (C, D) class matrix of the texts per class (computed once per texts: lead
        subsets do not change it)."""
        from merl_core.eval.zeroshot import build_classifier, text_encoder_of

        key = tuple(tuple(t) for t in texts)
        if key not in self.class_matrices:
            encode = text_encoder_of(self.model, self.config.device)
            batch = self.config.batch_size
            self.class_matrices[key] = build_classifier(encode, texts, batch_size=batch)
        return self.class_matrices[key]

    def overlap(self, split: TaskSplits, rows: Any) -> tuple[dict[str, Any], list[str]]:
        """How many evaluated ``rows`` the checkpoint was pretrained on, and the note saying so."""
        overlap = pretraining_overlap(getattr(self.model, "meta", {}) or {}, split.data.cache,
                                      np.asarray(rows))  # fmt: skip
        line = warn_overlap(split.name, overlap)
        return overlap, [line] if line else []

    def lead_info(self) -> dict[str, Any]:
        """This run's lead subset as results record it."""
        return lead_info(self.config.leads)

    def run_info(self, mode: str, **extra: Any) -> dict[str, Any]:
        """The ``run`` record of this run's results file (the checkpoint hashed once per
        context: a lead sweep writes one record per subset)."""
        ck = self.config.checkpoint
        if ck is not None and str(ck) not in self.digests:
            self.digests[str(ck)] = sha256_file(checkpoint_folder(ck))
        return run_info(mode, ck, self.config.seed,
                        checkpoint_sha256=self.digests.get(str(ck)), **extra)  # fmt: skip


# ----------------------------------------------------------------------------- data, model
def checkpoint_preprocessing(checkpoint: Path | None) -> PreprocessConfig | None:
    """How a dataset root given to an evaluation of ``checkpoint`` is prepared: the sampling
    rate, length and normalisation its checkpoint records (None: the defaults)."""
    if checkpoint is None:
        return None
    spec = InputSpec.from_meta(checkpoint_doc(checkpoint_folder(checkpoint)).get("meta"))
    if spec is None:
        return None
    return PreprocessConfig(fs=spec.fs, length=spec.length, normalize=spec.normalize)


def open_data(data: Path, dataset: str | None, config: EvalConfig) -> EvalData:
    """``data`` (a cache folder, or a dataset root prepared once beside the run folder with
    the checkpoint's preprocessing) opened for evaluation."""
    cache, manifest = open_eval_cache(data, dataset, cache_root(config.out),
                                      checkpoint_preprocessing(config.checkpoint))  # fmt: skip
    return EvalData(Path(data), cache, manifest)


def open_eval_cache(
    data: Path, dataset: str | None, root: Path, prep: PreprocessConfig | None = None
) -> tuple[Any, str]:
    """An ``ECGCache`` for ``data`` (a cache folder, or a dataset root prepared once under
    ``root`` with ``prep``, the checkpoint's preprocessing) and the SHA-256 of its manifest."""
    from merl_core.data.cache import ECGCache

    data = Path(data)
    if not data.exists():
        raise EvalDataError(f"{data}: data path not found")
    if not (data / "manifest.json").exists():
        if dataset is None:
            raise MissingInputError(
                "dataset", f"{data}: not a prepared cache, and its dataset is not known"
            )
        # the default preprocessing keeps the folder name it always had
        suffix = f"-{prep.digest()[:8]}" if prep is not None and prep != PreprocessConfig() else ""
        target = root / f"{dataset}-{path_key(data)}{suffix}"
        if not (target / "manifest.json").exists():
            logger.info("preparing %s from %s into %s", dataset, data, target)
            _prepare(dataset, data, target, prep)
        data = target
    try:
        cache = ECGCache(data)
    except (OSError, ValueError, KeyError) as exc:
        raise EvalDataError(f"{data}: unreadable cache ({exc})") from exc
    return cache, sha256_file(data / "manifest.json")


def path_key(path: Path) -> str:
    """A short stable key of a path (for auto-prepared cache folders)."""
    return hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:10]


def _prepare(dataset: str, root: Path, out: Path, prep: PreprocessConfig | None) -> None:
    from merl_core.data.datasets import DatasetError, prepare
    from merl_core.data.prepare import NoUsableRecordsError

    try:
        prepare(dataset, root, out, cfg=prep)
    except (DatasetError, NoUsableRecordsError, OSError, ValueError) as exc:
        raise EvalDataError(f"{root}: preparing {dataset} failed ({exc})") from exc


def load_eval_model(checkpoint: Path, device: str, *, need_text: bool = False) -> Any:
    """Load a checkpoint (folder, run folder or its model.safetensors) for inference."""
    from merl_core.train.checkpoint import load_model

    folder = checkpoint_folder(checkpoint)
    doc = checkpoint_doc(folder)
    if need_text:
        require_text(folder, doc)
    try:
        model = load_model(folder)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise CheckpointError(f"{checkpoint}: cannot load checkpoint ({exc})") from exc
    return model.to(device).eval()


def dataset_of(dataset: str | None, split_file: Path | None, cache: Any = None) -> str | None:
    """The dataset named, else the split file's, else the cache's (None when none says)."""
    if dataset:
        return dataset
    if split_file is not None:
        return read_split_file(split_file).dataset
    if cache is not None:
        return (getattr(cache, "meta", None) or {}).get("dataset")
    return None


def default_splits_root(splits_root: Path | None) -> Path:
    """``splits_root``, else the data root's ``merl-splits`` folder."""
    return Path(splits_root) if splits_root else shared_data_root() / "merl-splits"


def resolve_split_files(
    dataset: str | None,
    task: str,
    split_file: Path | None,
    val_split_file: Path | None,
    splits_root: Path | None,
) -> dict[str, Path]:
    """``test``/``val``/``train`` split files: explicit, siblings, or the published defaults."""
    if split_file is not None:
        files = {"test": Path(split_file)}
        for part in ("val", "train"):
            sib = sibling_split(split_file, part)
            if sib is not None:
                files[part] = sib
        if val_split_file is not None:
            files["val"] = Path(val_split_file)
        return files
    files = (
        default_split_files(default_splits_root(splits_root), dataset or "", task)
        if dataset
        else {}
    )
    if val_split_file is not None:
        files["val"] = Path(val_split_file)
    return files


def cache_split(
    cache: Any, path: Path | None, label_source: str = "split", task: str | None = None
) -> EvalSplit:
    """The records of a split file (all cached records when ``path`` is None) with labels of
    ``task`` where the cache has them (PTB-XL's super/sub/form/rhythm/all)."""
    table = read_split_file(path) if path is not None else None
    names, labels = cache.label_names, cache.labels
    if task and task in (getattr(cache, "tasks", None) or {}):
        names, labels = cache.task_labels(task)  # e.g. PTB-XL super/sub/form/rhythm/all
    return select_split(cache.ids, names, labels, table, label_source=label_source)


def optional_split(cache: Any, path: Path | None) -> EvalSplit | None:
    """A validation split, or None (no thresholds) when absent or without cached records."""
    if path is None:
        return None
    try:
        return cache_split(cache, path)
    except NoRecordsError as exc:
        logger.warning("no validation thresholds: %s", exc)
        return None


def run_info(
    mode: str,
    checkpoint: Path | None,
    seed: int,
    *,
    checkpoint_sha256: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The ``run`` record of a results file: mode, versions, seed, checkpoint and its hash
    (``checkpoint_sha256`` when the caller has it, else computed here)."""
    info: dict[str, Any] = {"mode": mode, "merl_core_version": __version__, "seed": seed}
    if checkpoint is not None:
        info["checkpoint"] = str(checkpoint)
        info["checkpoint_sha256"] = checkpoint_sha256 or sha256_file(checkpoint_folder(checkpoint))
    info.update(extra)
    return info


def cache_root(out: Path) -> Path:
    """Where a run writing to ``out`` prepares a dataset root it is given: ``<out>/../caches``."""
    return Path(out).resolve().parent / CACHE_DIR_NAME


def lead_info(leads: tuple[str, ...] | None) -> dict[str, Any]:
    """The lead subset of a run as results record it (kept, its label, the zeroed ones)."""
    from merl_core.data.leads import LEADS

    kept = tuple(leads) if leads else LEADS
    return {"leads": list(kept), "lead_subset": subset_label(kept),
            "absent_leads_zeroed": [lead for lead in LEADS if lead not in kept]}  # fmt: skip


def task_output_ids(split: TaskSplits, rows: Any) -> np.ndarray:
    """The record ids of ``rows`` of a task's cache."""
    return np.asarray(split.data.cache.ids)[np.asarray(rows, dtype=np.int64)]
