"""Evaluation runs behind the CLI: open data, load the model, score, write the run folder.

Kept apart from ``merl_core.cli.eval`` (argument parsing only) so the demo and tests drive the same
code. Every user mistake surfaces as a ``MerlCoreError`` (or ckepe's ``PromptFileError``) with a
one-line message.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ckepe.registry import default_task
from merl_core import __version__
from merl_core.data.preprocess import InputSpec, PreprocessConfig
from merl_core.eval.checks import (
    NOT_A_BENCHMARK,
    CheckpointError,
    check_preprocessing,
    check_prompt_dataset,
    checkpoint_doc,
    checkpoint_folder,
    pretraining_overlap,
    require_text,
    warn_overlap,
)
from merl_core.eval.evalsets import (
    PROTOCOL,
    EvalDataError,
    EvalSplit,
    NoRecordsError,
    default_split_files,
    protocol_split_files,
    read_split_file,
    select_split,
    sibling_split,
)
from merl_core.eval.leads import subset_label, with_leads
from merl_core.eval.prompts import PromptTable, read_prompts
from merl_core.eval.report import TaskOutput, sha256_file, write_run
from merl_core.paths import shared_data_root

logger = logging.getLogger(__name__)

# Where evaluation prepares a dataset root it is given instead of a cache (visible, beside
# the run folders; README "Evaluation"): <out>/../caches/<dataset>-<path hash>/.
CACHE_DIR_NAME = "caches"


@dataclass(frozen=True)
class RunResult:
    """What an evaluation run wrote (its ``metrics.json``) and found, for the caller to show;
    a path-like of the metrics file."""

    metrics: Path
    out: Path
    tasks: list[TaskOutput]
    notes: list[str] = field(default_factory=list)
    prompt_versions: dict[str, str] | None = None  # per dataset (the protocol)

    def __fspath__(self) -> str:
        return str(self.metrics)


class MissingResultsError(EvalDataError):
    """A protocol run that skipped test sets (exit 1 unless ``--allow-missing``)."""

    def __init__(self, message: str, run: RunResult) -> None:
        super().__init__(message)
        self.run = run
        self.metrics = run.metrics


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


def open_eval_cache(
    data: Path, dataset: str | None, cache_root: Path, prep: PreprocessConfig | None = None
) -> tuple[Any, str]:
    """An ``ECGCache`` for ``data`` (a cache folder, or a dataset root prepared once under
    ``cache_root`` with ``prep``, the checkpoint's preprocessing) and the SHA-256 of its
    manifest."""
    from merl_core.data.cache import ECGCache

    data = Path(data)
    if not data.exists():
        raise EvalDataError(f"{data}: data path not found")
    if not (data / "manifest.json").exists():
        if dataset is None:
            raise EvalDataError(f"{data}: not a prepared cache; give --dataset to prepare it")
        # the default preprocessing keeps the folder name it always had
        suffix = f"-{prep.digest()[:8]}" if prep is not None and prep != PreprocessConfig() else ""
        target = cache_root / f"{dataset}-{sha256_file_name(data)}{suffix}"
        if not (target / "manifest.json").exists():
            logger.info("preparing %s from %s into %s", dataset, data, target)
            _prepare(dataset, data, target, prep)
        data = target
    try:
        cache = ECGCache(data)
    except (OSError, ValueError, KeyError) as exc:
        raise EvalDataError(f"{data}: unreadable cache ({exc})") from exc
    return cache, sha256_file(data / "manifest.json")


def sha256_file_name(path: Path) -> str:
    """A short stable key of a path (for auto-prepared cache folders)."""
    import hashlib

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


def _dataset_of(dataset: str | None, split_file: Path | None, cache: Any = None) -> str | None:
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


def _optional_split(cache: Any, path: Path | None) -> EvalSplit | None:
    """A validation split, or None (no thresholds) when absent or without cached records."""
    if path is None:
        return None
    try:
        return cache_split(cache, path)
    except NoRecordsError as exc:
        logger.warning("no validation thresholds: %s", exc)
        return None


def run_info(mode: str, checkpoint: Path | None, seed: int, **extra: Any) -> dict[str, Any]:
    """The ``run`` record of a results file: mode, versions, seed, checkpoint and its hash."""
    info: dict[str, Any] = {"mode": mode, "merl_core_version": __version__, "seed": seed}
    if checkpoint is not None:
        info["checkpoint"] = str(checkpoint)
        info["checkpoint_sha256"] = sha256_file(checkpoint_folder(checkpoint))
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


# ----------------------------------------------------------------------------- zero-shot
def zeroshot_on_cache(
    model: Any,
    cache: Any,
    prompts: PromptTable,
    *,
    name: str,
    test: EvalSplit,
    val: EvalSplit | None,
    prompt_mode: str,
    n_bootstrap: int,
    seed: int,
    batch_size: int,
    device: str,
    bank: Any = None,
    info: dict[str, Any] | None = None,
) -> TaskOutput:
    """One zero-shot task on a cache: classifier from prompts, scores, metrics."""
    from merl_core.eval.zeroshot import (
        FeatureBank,
        build_classifier,
        text_encoder_of,
        zeroshot_task,
    )

    task = (info or {}).get("task") or name.rsplit("-", 1)[-1]
    texts = prompts.texts(test.label_names, prompt_mode, task)  # fails early, naming missing
    bank = bank or FeatureBank(model, cache.signals, batch_size=batch_size, device=device)
    clf = build_classifier(text_encoder_of(model, device), texts, batch_size=batch_size)
    meta = {"prompt_mode": prompt_mode, "prompt_set_version": prompts.version,
            "prompt_file": prompts.path, **(info or {})}  # fmt: skip
    res = zeroshot_task(name, bank, clf, test, val, n_bootstrap=n_bootstrap, seed=seed, info=meta)
    res.ids = np.asarray(cache.ids)[np.asarray(test.indices, dtype=np.int64)]
    return res


def _finish(out: Path, run: dict[str, Any], results: list[Any], notes: list[str] | None = None,
            prompt_versions: dict[str, str] | None = None) -> RunResult:  # fmt: skip
    """Write the run folder (JSON, Markdown, figures); what it holds, for the caller to show."""
    path = write_run(out, {**run, "notes": list(notes or [])}, results)
    return RunResult(Path(path), Path(out), list(results), list(notes or []), prompt_versions)


def _overlap_note(model: Any, cache: Any, name: str, rows: Any) -> tuple[dict, list[str]]:
    overlap = pretraining_overlap(getattr(model, "meta", {}) or {}, cache, np.asarray(rows))
    line = warn_overlap(name, overlap)
    return overlap, [line] if line else []


def run_zeroshot_cli(
    *,
    prompts: Path,
    checkpoint: Path,
    data: Path,
    task: str | None,
    dataset: str | None,
    split_file: Path | None,
    val_split_file: Path | None,
    splits_root: Path | None,
    prompt_mode: str,
    label_source: str,
    out: Path,
    n_bootstrap: int,
    seed: int,
    batch_size: int,
    device: str,
    leads: tuple[str, ...] | None = None,
    no_split: bool = False,
) -> RunResult:
    """``merl-core zeroshot``: the run (path-like of its metrics.json)."""
    table = read_prompts(prompts)
    check_prompt_dataset(Path(prompts), table.dataset, dataset)
    dataset = _dataset_of(dataset, split_file) or table.dataset
    cache, manifest_hash = open_eval_cache(
        data, dataset, cache_root(out), checkpoint_preprocessing(checkpoint)
    )
    check_prompt_dataset(Path(prompts), table.dataset, _dataset_of(None, None, cache))
    dataset = dataset or _dataset_of(None, None, cache)
    task = task or default_task(dataset)
    files = resolve_split_files(dataset, task, split_file, val_split_file, splits_root)
    notes: list[str] = []
    if "test" not in files and not no_split:
        raise EvalDataError(
            f"no test split file for {dataset or 'this data'} {task} (looked in "
            f"{default_splits_root(splits_root)}): give --split-file or --splits-root (the "
            "merl-splits folder), or --no-split to score every cached record (not a benchmark)"
        )
    if no_split:
        files, notes = {}, [NOT_A_BENCHMARK]
        logger.warning(NOT_A_BENCHMARK)
    test = cache_split(cache, files.get("test"), label_source, task)
    val = (
        _optional_split(cache, files.get("val"))
        if label_source == "split"
        else (cache_split(cache, files["val"], label_source, task) if "val" in files else None)
    )
    table.texts(test.label_names, prompt_mode, task)  # a missing class fails before the model
    model = load_eval_model(checkpoint, device, need_text=True)
    check_preprocessing(model, cache, checkpoint)
    name = f"{dataset or 'data'}-{task}"
    overlap, extra = _overlap_note(model, cache, name, test.indices)
    res = zeroshot_on_cache(
        with_leads(model, leads), cache, table, name=name, test=test, val=val,
        prompt_mode=prompt_mode, n_bootstrap=n_bootstrap, seed=seed, batch_size=batch_size,
        device=device, info={"dataset": dataset, "task": task, "data": str(data),
                             "data_manifest_sha256": manifest_hash, **lead_info(leads)},
    )  # fmt: skip
    run = run_info("zeroshot", checkpoint, seed, prompt_set_version=table.version,
                    prompt_file=str(prompts), prompt_mode=prompt_mode,
                    data_manifest_sha256=manifest_hash, n_bootstrap=n_bootstrap,
                    benchmark=not no_split, pretraining_overlap=overlap,
                    **lead_info(leads))  # fmt: skip
    return _finish(out, run, [res], notes + extra)


def _protocol_plan(prompts_dir: Path, roots: dict[str, Path | None], sroot: Path,
                   skipped: dict[str, str]) -> list[tuple[str, str, dict, Any]]:  # fmt: skip
    plan = []
    for dataset, task, stem in PROTOCOL:
        if roots.get(dataset) is None:
            flag = "cpsc" if dataset == "cpsc2018" else dataset
            skipped[f"{dataset}-{task}"] = f"no --{flag} given"
            continue
        files = protocol_split_files(sroot, stem)
        if "test" not in files:
            raise EvalDataError(f"{sroot}: no split file {stem}_test.csv")
        prompt_file = Path(prompts_dir) / f"{dataset}.json"
        table = read_prompts(prompt_file)
        check_prompt_dataset(prompt_file, table.dataset, dataset)
        plan.append((dataset, task, files, table))
    return plan


def run_protocol_cli(
    *,
    prompts_dir: Path,
    checkpoint: Path,
    roots: dict[str, Path | None],
    splits_root: Path | None,
    prompt_mode: str,
    out: Path,
    n_bootstrap: int,
    seed: int,
    batch_size: int,
    device: str,
    leads: tuple[str, ...] | None = None,
    allow_missing: bool = False,
) -> RunResult:
    """``merl-core protocol``: the six published test sets in one run folder.

    Raises:
        MissingResultsError: a test set was skipped and ``allow_missing`` is False (after the
            run folder is written).
    """
    from merl_core.eval.zeroshot import FeatureBank

    sroot = default_splits_root(splits_root)
    if not any(roots.values()):
        raise EvalDataError("give at least one of --ptbxl, --cpsc, --csn")
    skipped: dict[str, str] = {}
    plan = _protocol_plan(prompts_dir, roots, sroot, skipped)
    caches: dict[str, tuple[Any, str]] = {}
    prep = checkpoint_preprocessing(checkpoint)
    for dataset, _, _, _ in plan:
        if dataset not in caches:
            root = Path(roots[dataset])  # type: ignore[arg-type]
            caches[dataset] = open_eval_cache(root, dataset, cache_root(out), prep)
    splits = []
    for dataset, task, files, table in plan:  # check every class before any model work
        cache = caches[dataset][0]
        try:
            test = cache_split(cache, files["test"])
        except NoRecordsError as exc:  # e.g. a sample folder without any test record
            skipped[f"{dataset}-{task}"] = str(exc)
            continue
        val = _optional_split(cache, files.get("val"))
        table.texts(test.label_names, prompt_mode, task)
        splits.append((dataset, task, table, test, val))
    if not splits:
        raise EvalDataError(
            "no test set has records in the given data: " + "; ".join(skipped.values())
        )
    model = load_eval_model(checkpoint, device, need_text=True)
    for cache, _ in caches.values():
        check_preprocessing(model, cache, checkpoint)
    emodel = with_leads(model, leads)
    banks = {ds: FeatureBank(emodel, c.signals, batch_size=batch_size, device=device)
             for ds, (c, _) in caches.items()}  # fmt: skip
    results, notes, overlaps = [], [], {}
    for dataset, task, table, test, val in splits:
        name = dataset if task == "default" else f"{dataset}-{task}"
        overlaps[name], extra = _overlap_note(model, caches[dataset][0], name, test.indices)
        notes += extra
        results.append(zeroshot_on_cache(
            emodel, caches[dataset][0], table, name=name, test=test, val=val,
            prompt_mode=prompt_mode, n_bootstrap=n_bootstrap, seed=seed,
            batch_size=batch_size, device=device, bank=banks[dataset],
            info={"dataset": dataset, "task": task, "data": str(roots[dataset]),
                  "data_manifest_sha256": caches[dataset][1], **lead_info(leads)},
        ))  # fmt: skip
    n_expected = len(PROTOCOL)
    notes += [f"SKIPPED test set {k}: {v}" for k, v in skipped.items()]
    for r in results:
        if r.result.absent:
            notes.append(f"ABSENT classes in {r.name} (no positive or no negative in the test "
                         f"split, not averaged): {', '.join(r.result.absent)}")  # fmt: skip
    n_classes = sum(len(r.result.classes) - len(r.result.absent) for r in results)
    notes.insert(0, f"evaluated {len(results)} of {n_expected} test sets, {n_classes} classes "
                    f"with positives and negatives")  # fmt: skip
    versions = {ds: t.version for ds, _, t, _, _ in splits}
    run = run_info(
        "zeroshot-protocol", checkpoint, seed, prompt_mode=prompt_mode, n_bootstrap=n_bootstrap,
        prompt_set_version=versions,
        data_manifest_sha256={ds: h for ds, (_, h) in caches.items()},
        n_classes=sum(len(r.result.classes) for r in results), n_classes_evaluated=n_classes,
        skipped=skipped, pretraining_overlap=overlaps, **lead_info(leads),
    )  # fmt: skip
    done = _finish(out, run, results, notes, versions)
    if skipped and not allow_missing:
        raise MissingResultsError(
            f"{len(skipped)} of {n_expected} test sets skipped ({', '.join(skipped)}); results "
            f"in {done.metrics}; pass --allow-missing to accept a partial protocol", done,
        )  # fmt: skip
    return done


# ----------------------------------------------------------------------------- linear probe
def parse_ratios(values: list[str]) -> list[float]:
    """Percentages ('1', '10,100', '1 10') to fractions in (0, 1]."""
    out = []
    for v in values:
        for tok in re.split(r"[,\s]+", str(v).strip()):
            if not tok:
                continue
            try:
                pct = float(tok)
            except ValueError as exc:
                raise EvalDataError(f"--ratio: {tok!r} is not a percentage") from exc
            if not 0 < pct <= 100:
                raise EvalDataError(f"--ratio: {tok} is not in (0, 100]")
            out.append(pct / 100)
    if not out:
        raise EvalDataError("--ratio: no percentage given")
    return out


def _probe_model(checkpoint: Path | None, model_name: str | None, random_init: bool,
                 device: str, seed: int) -> Any:  # fmt: skip
    from merl_core.eval.probe import randomize_weights

    if checkpoint is not None:
        model = load_eval_model(checkpoint, device)
    elif random_init and model_name:
        from merl_core.models import create_model

        model = create_model(model_name).to(device).eval()
    else:
        raise CheckpointError("give --checkpoint (or --random-init with --model NAME)")
    return randomize_weights(model, seed) if random_init else model


def _train_features(bank: Any, train: EvalSplit, drawn: dict[float, np.ndarray]) -> Any:
    """(N_train, D) features where only the rows some ratio drew are encoded (others zero)."""
    import torch

    rows = np.unique(np.concatenate(list(drawn.values())))
    idx = np.asarray(train.indices, dtype=np.int64)
    got = bank.get(list(idx[rows]))
    out = torch.zeros((len(idx), got.shape[1]), dtype=got.dtype)
    out[torch.as_tensor(rows)] = got
    return out


def run_probe_cli(
    *,
    checkpoint: Path | None,
    model_name: str | None,
    data: Path,
    task: str | None,
    dataset: str | None,
    split_file: Path | None,
    splits_root: Path | None,
    ratios: list[float],
    random_init: bool,
    epochs: int,
    out: Path,
    n_bootstrap: int,
    seed: int,
    batch_size: int,
    device: str,
    leads: tuple[str, ...] | None = None,
) -> RunResult:
    """``merl-core linear-probe``: one task, each ratio a result table."""
    from merl_core.eval.probe import probe_view, run_probe, subsample_indices
    from merl_core.eval.zeroshot import FeatureBank

    dataset = _dataset_of(dataset, split_file)
    cache, manifest_hash = open_eval_cache(
        data, dataset, cache_root(out), checkpoint_preprocessing(checkpoint)
    )
    dataset = dataset or _dataset_of(None, None, cache)
    task = task or default_task(dataset)
    files = resolve_split_files(dataset, task, split_file, None, splits_root)
    missing = [p for p in ("train", "val", "test") if p not in files]
    if missing:
        raise EvalDataError(
            f"linear probe needs train/val/test split files; missing {missing} (give "
            "--split-file or --splits-root, the merl-splits folder)"
        )
    parts = {p: cache_split(cache, files[p]) for p in ("train", "val", "test")}
    names = parts["test"].label_names
    for p in ("train", "val"):  # read by name: the published train files permute columns
        if parts[p].label_names != names:
            cols = [parts[p].label_names.index(n) for n in names]
            parts[p] = EvalSplit(parts[p].indices, parts[p].labels[:, cols], names, parts[p].info)
    model = _probe_model(checkpoint, model_name, random_init, device, seed)
    if checkpoint is not None:
        check_preprocessing(model, cache, checkpoint)
    view, feature_kind = probe_view(model)
    bank = FeatureBank(with_leads(view, leads), cache.signals, batch_size=batch_size,
                       device=device, normalize=False)  # fmt: skip
    labels = {p: s.labels for p, s in parts.items()}
    # the train rows each ratio draws, encoded once: a 1 % probe encodes 1 % of train
    drawn = {r: subsample_indices(labels["train"], r, seed) for r in ratios}
    feats = {p: bank.get(list(parts[p].indices)) for p in ("val", "test")}
    feats["train"] = _train_features(bank, parts["train"], drawn)
    name = f"{dataset}-{task}"
    overlap, notes = _overlap_note(model, cache, name, parts["test"].indices)
    test_ids = np.asarray(cache.ids)[np.asarray(parts["test"].indices, dtype=np.int64)]
    results = []
    for r in ratios:
        res, s_test, fit = run_probe(feats, labels, names, ratio=r, seed=seed,
                                     n_bootstrap=n_bootstrap, epochs=epochs,
                                     train_rows=drawn[r])  # fmt: skip
        info = {"dataset": dataset, "task": task, "probe": fit, "features": feature_kind,
                **lead_info(leads),
                **{f"{p}_split": s.info for p, s in parts.items()}}  # fmt: skip
        results.append(TaskOutput(f"{name}-{r * 100:g}pct", res, labels["test"],
                                  s_test, info, ids=test_ids))  # fmt: skip
    run = run_info("linear-probe", checkpoint, seed, random_init=random_init,
                    model=model_name, ratios=ratios, data_manifest_sha256=manifest_hash,
                    n_bootstrap=n_bootstrap, features=feature_kind, pretraining_overlap=overlap,
                    **lead_info(leads))  # fmt: skip
    return _finish(out, run, results, notes)
