"""Evaluation runs: zero-shot, the published protocol and the linear probe on an
:class:`~merl_core.eval.context.EvalContext`.

Each evaluation is opened once (``open_*``: data, model, prompts, splits; every input checked
before any model work) and scored (``score_*``: the run folder written, a :class:`RunResult`
returned). A lead sweep scores one context once per subset. Nothing here prints or names a
command-line option: the command line (``merl_core.cli.eval``) shows the results and maps a
:class:`~merl_core.eval.context.MissingInputError` to its options.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ckepe.registry import default_task
from merl_core.eval.checks import (
    NOT_A_BENCHMARK,
    check_preprocessing,
    check_prompt_dataset,
)
from merl_core.eval.context import (
    EvalConfig,
    EvalContext,
    EvalData,
    MissingInputError,
    TaskSplits,
    cache_split,
    dataset_of,
    default_splits_root,
    load_eval_model,
    open_data,
    optional_split,
    resolve_split_files,
    task_output_ids,
)
from merl_core.eval.evalsets import (
    PROTOCOL,
    EvalDataError,
    EvalSplit,
    NoRecordsError,
    protocol_split_files,
)
from merl_core.eval.prompts import PromptTable, read_prompts
from merl_core.eval.report import TaskOutput, write_run

logger = logging.getLogger(__name__)


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
    """A protocol run that skipped test sets (after its run folder was written)."""

    def __init__(self, message: str, run: RunResult) -> None:
        super().__init__(message)
        self.run = run
        self.metrics = run.metrics


@dataclass(frozen=True)
class ZeroshotInput:
    """What ``zeroshot`` scores: a prompt set on one task of one dataset."""

    prompts: Path
    data: Path
    task: str | None = None
    dataset: str | None = None
    split_file: Path | None = None
    val_split_file: Path | None = None
    label_source: str = "split"  # split | cache
    no_split: bool = False  # every cached record with the cache's labels (not a benchmark)


@dataclass(frozen=True)
class ProtocolInput:
    """What ``protocol`` scores: the published test sets of the datasets given."""

    prompts_dir: Path
    roots: dict[str, Path | None]
    allow_missing: bool = False


@dataclass(frozen=True)
class ProbeInput:
    """What ``linear-probe`` fits: one task, each fraction of its training split."""

    data: Path
    ratios: list[float]
    task: str | None = None
    dataset: str | None = None
    split_file: Path | None = None
    model_name: str | None = None  # the architecture of a random-init encoder
    random_init: bool = False
    epochs: int = 200


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
    classifier: Any = None,
    info: dict[str, Any] | None = None,
) -> TaskOutput:
    """One zero-shot task on a cache: classifier from prompts (or ``classifier``), scores,
    metrics."""
    from merl_core.eval.zeroshot import (
        FeatureBank,
        build_classifier,
        text_encoder_of,
        zeroshot_task,
    )

    task = (info or {}).get("task") or name.rsplit("-", 1)[-1]
    texts = prompts.texts(test.label_names, prompt_mode, task)  # fails early, naming missing
    bank = bank or FeatureBank(model, cache.signals, batch_size=batch_size, device=device)
    if classifier is None:
        classifier = build_classifier(text_encoder_of(model, device), texts,
                                      batch_size=batch_size)  # fmt: skip
    meta = {"prompt_mode": prompt_mode, "prompt_set_version": prompts.version,
            "prompt_file": prompts.path, **(info or {})}  # fmt: skip
    res = zeroshot_task(name, bank, classifier, test, val, n_bootstrap=n_bootstrap, seed=seed,
                        info=meta)  # fmt: skip
    res.ids = np.asarray(cache.ids)[np.asarray(test.indices, dtype=np.int64)]
    return res


def _score_task(ctx: EvalContext, split: TaskSplits) -> TaskOutput:
    """One zero-shot task of ``ctx`` under its lead subset (features shared across runs)."""
    cfg, table = ctx.config, split.prompts
    assert table is not None  # every zero-shot task carries its prompt table
    texts = table.texts(split.test.label_names, cfg.prompt_mode, split.task)
    return zeroshot_on_cache(
        ctx.model, split.data.cache, table, name=split.name, test=split.test, val=split.val,
        prompt_mode=cfg.prompt_mode, n_bootstrap=cfg.n_bootstrap, seed=cfg.seed,
        batch_size=cfg.batch_size, device=cfg.device, bank=ctx.bank(split.data),
        classifier=ctx.class_matrix(texts),
        info={"dataset": split.dataset, "task": split.task, "data": str(split.data.source),
              "data_manifest_sha256": split.data.manifest_sha256, **ctx.lead_info()},
    )  # fmt: skip


def _finish(ctx: EvalContext, run: dict[str, Any], results: list[Any], notes: list[str],
            prompt_versions: dict[str, str] | None = None) -> RunResult:  # fmt: skip
    """Write the run folder (JSON, Markdown, figures); what it holds, for the caller to show."""
    out = ctx.config.out
    path = write_run(out, {**run, "notes": list(notes)}, results)
    return RunResult(Path(path), Path(out), list(results), list(notes), prompt_versions)


def open_zeroshot(cfg: EvalConfig, inp: ZeroshotInput) -> EvalContext:
    """The context of a zero-shot run: prompts, data, splits and model, each checked."""
    if cfg.checkpoint is None:
        raise MissingInputError("checkpoint", "zero-shot needs a checkpoint")
    table = read_prompts(inp.prompts)
    check_prompt_dataset(Path(inp.prompts), table.dataset, inp.dataset)
    dataset = dataset_of(inp.dataset, inp.split_file) or table.dataset
    data = open_data(inp.data, dataset, cfg)
    check_prompt_dataset(Path(inp.prompts), table.dataset, dataset_of(None, None, data.cache))
    dataset = dataset or dataset_of(None, None, data.cache)
    task = inp.task or default_task(dataset)
    files = resolve_split_files(dataset, task, inp.split_file, inp.val_split_file,
                                cfg.splits_root)  # fmt: skip
    notes: list[str] = []
    if "test" not in files and not inp.no_split:
        raise MissingInputError(
            "test_split",
            f"no test split file for {dataset or 'this data'} {task} (looked in "
            f"{default_splits_root(cfg.splits_root)})",
        )
    if inp.no_split:
        files, notes = {}, [NOT_A_BENCHMARK]
        logger.warning(NOT_A_BENCHMARK)
    test = cache_split(data.cache, files.get("test"), inp.label_source, task)
    val = (
        optional_split(data.cache, files.get("val"))
        if inp.label_source == "split"
        else (
            cache_split(data.cache, files["val"], inp.label_source, task)
            if "val" in files
            else None
        )
    )
    table.texts(test.label_names, cfg.prompt_mode, task)  # a missing class fails before the model
    model = load_eval_model(cfg.checkpoint, cfg.device, need_text=True)
    check_preprocessing(model, data.cache, cfg.checkpoint)
    split = TaskSplits(dataset, task, f"{dataset or 'data'}-{task}", data, test, val,
                       prompts=table)  # fmt: skip
    return EvalContext(cfg, model, [split], prompts={dataset or "data": table}, notes=notes)


def score_zeroshot(ctx: EvalContext, inp: ZeroshotInput) -> RunResult:
    """Score the zero-shot run of ``ctx`` and write its run folder."""
    cfg, (split,) = ctx.config, ctx.tasks
    assert split.prompts is not None
    overlap, extra = ctx.overlap(split, split.test.indices)
    res = _score_task(ctx, split)
    run = ctx.run_info("zeroshot", prompt_set_version=split.prompts.version,
                       prompt_file=str(inp.prompts), prompt_mode=cfg.prompt_mode,
                       data_manifest_sha256=split.data.manifest_sha256,
                       n_bootstrap=cfg.n_bootstrap, benchmark=not inp.no_split,
                       pretraining_overlap=overlap, **ctx.lead_info())  # fmt: skip
    return _finish(ctx, run, [res], ctx.notes + extra)


# ----------------------------------------------------------------------------- protocol
def _protocol_plan(inp: ProtocolInput, sroot: Path,
                   skipped: dict[str, str]) -> list[tuple[str, str, dict, Any]]:  # fmt: skip
    plan = []
    for dataset, task, stem in PROTOCOL:
        if inp.roots.get(dataset) is None:
            skipped[f"{dataset}-{task}"] = f"no {dataset} data given"
            continue
        files = protocol_split_files(sroot, stem)
        if "test" not in files:
            raise EvalDataError(f"{sroot}: no split file {stem}_test.csv")
        prompt_file = Path(inp.prompts_dir) / f"{dataset}.json"
        table = read_prompts(prompt_file)
        check_prompt_dataset(prompt_file, table.dataset, dataset)
        plan.append((dataset, task, files, table))
    return plan


def open_protocol(cfg: EvalConfig, inp: ProtocolInput) -> EvalContext:
    """The context of the published protocol: every test set with records in the data."""
    if cfg.checkpoint is None:
        raise MissingInputError("checkpoint", "the protocol needs a checkpoint")
    sroot = default_splits_root(cfg.splits_root)
    if not any(inp.roots.values()):
        raise MissingInputError("data", "no data of any protocol dataset given")
    skipped: dict[str, str] = {}
    plan = _protocol_plan(inp, sroot, skipped)
    opened: dict[str, EvalData] = {}
    for dataset, _, _, _ in plan:
        if dataset not in opened:
            root = inp.roots[dataset]
            assert root is not None  # the plan holds the datasets given
            opened[dataset] = open_data(root, dataset, cfg)
    splits = []
    for dataset, task, files, table in plan:  # check every class before any model work
        data = opened[dataset]
        try:
            test = cache_split(data.cache, files["test"])
        except NoRecordsError as exc:  # e.g. a sample folder without any test record
            skipped[f"{dataset}-{task}"] = str(exc)
            continue
        val = optional_split(data.cache, files.get("val"))
        table.texts(test.label_names, cfg.prompt_mode, task)
        name = dataset if task == "default" else f"{dataset}-{task}"
        splits.append(TaskSplits(dataset, task, name, data, test, val, prompts=table))
    if not splits:
        raise EvalDataError(
            "no test set has records in the given data: " + "; ".join(skipped.values())
        )
    model = load_eval_model(cfg.checkpoint, cfg.device, need_text=True)
    for data in opened.values():
        check_preprocessing(model, data.cache, cfg.checkpoint)
    prompts = {s.dataset or "": s.prompts for s in splits if s.prompts is not None}
    return EvalContext(cfg, model, splits, prompts=prompts, skipped=skipped)


def score_protocol(ctx: EvalContext, inp: ProtocolInput) -> RunResult:
    """Score the protocol's test sets of ``ctx`` into one run folder.

    Raises:
        MissingResultsError: a test set was skipped and ``inp.allow_missing`` is False (after
            the run folder is written).
    """
    cfg = ctx.config
    results, notes, overlaps = [], [], {}
    for split in ctx.tasks:
        overlaps[split.name], extra = ctx.overlap(split, split.test.indices)
        notes += extra
        results.append(_score_task(ctx, split))
    n_expected = len(PROTOCOL)
    notes += [f"SKIPPED test set {k}: {v}" for k, v in ctx.skipped.items()]
    for r in results:
        if r.result.absent:
            notes.append(f"ABSENT classes in {r.name} (no positive or no negative in the test "
                         f"split, not averaged): {', '.join(r.result.absent)}")  # fmt: skip
    n_classes = sum(len(r.result.classes) - len(r.result.absent) for r in results)
    notes.insert(0, f"evaluated {len(results)} of {n_expected} test sets, {n_classes} classes "
                    f"with positives and negatives")  # fmt: skip
    versions = {ds: t.version for ds, t in ctx.prompts.items()}
    run = ctx.run_info(
        "zeroshot-protocol", prompt_mode=cfg.prompt_mode, n_bootstrap=cfg.n_bootstrap,
        prompt_set_version=versions,
        data_manifest_sha256={s.dataset: s.data.manifest_sha256 for s in ctx.tasks},
        n_classes=sum(len(r.result.classes) for r in results), n_classes_evaluated=n_classes,
        skipped=ctx.skipped, pretraining_overlap=overlaps, **ctx.lead_info(),
    )  # fmt: skip
    done = _finish(ctx, run, results, notes, versions)
    if ctx.skipped and not inp.allow_missing:
        raise MissingResultsError(
            f"{len(ctx.skipped)} of {n_expected} test sets skipped ({', '.join(ctx.skipped)}); "
            f"results in {done.metrics}", done,
        )  # fmt: skip
    return done


# ----------------------------------------------------------------------------- linear probe
def _probe_model(cfg: EvalConfig, inp: ProbeInput) -> Any:
    from merl_core.eval.probe import randomize_weights

    if cfg.checkpoint is not None:
        model = load_eval_model(cfg.checkpoint, cfg.device)
    elif inp.random_init and inp.model_name:
        from merl_core.models import create_model

        model = create_model(inp.model_name).to(cfg.device).eval()
    else:
        raise MissingInputError(
            "checkpoint", "the probe needs a checkpoint, or an architecture for a random-init "
            "encoder"
        )  # fmt: skip
    return randomize_weights(model, cfg.seed) if inp.random_init else model


def _train_features(bank: Any, train: EvalSplit, drawn: dict[float, np.ndarray]) -> Any:
    """(N_train, D) features where only the rows some ratio drew are encoded (others zero)."""
    import torch

    rows = np.unique(np.concatenate(list(drawn.values())))
    idx = np.asarray(train.indices, dtype=np.int64)
    got = bank.get(list(idx[rows]))
    out = torch.zeros((len(idx), got.shape[1]), dtype=got.dtype)
    out[torch.as_tensor(rows)] = got
    return out


def open_probe(cfg: EvalConfig, inp: ProbeInput) -> EvalContext:
    """The context of a linear probe: data, train/val/test splits (read by name) and model."""
    dataset = dataset_of(inp.dataset, inp.split_file)
    data = open_data(inp.data, dataset, cfg)
    dataset = dataset or dataset_of(None, None, data.cache)
    task = inp.task or default_task(dataset)
    files = resolve_split_files(dataset, task, inp.split_file, None, cfg.splits_root)
    missing = [p for p in ("train", "val", "test") if p not in files]
    if missing:
        raise MissingInputError(
            "probe_splits", f"linear probe needs train/val/test split files; missing {missing}"
        )
    parts = {p: cache_split(data.cache, files[p]) for p in ("train", "val", "test")}
    names = parts["test"].label_names
    for p in ("train", "val"):  # read by name: the published train files permute columns
        if parts[p].label_names != names:
            cols = [parts[p].label_names.index(n) for n in names]
            parts[p] = EvalSplit(parts[p].indices, parts[p].labels[:, cols], names, parts[p].info)
    model = _probe_model(cfg, inp)
    if cfg.checkpoint is not None:
        check_preprocessing(model, data.cache, cfg.checkpoint)
    split = TaskSplits(dataset, task, f"{dataset}-{task}", data, parts["test"], parts["val"],
                       parts["train"])  # fmt: skip
    return EvalContext(cfg, model, [split])


def score_probe(ctx: EvalContext, inp: ProbeInput) -> RunResult:
    """Fit and score the probe of ``ctx`` at every ratio; one result table per ratio."""
    from merl_core.eval.probe import probe_view, run_probe, subsample_indices

    cfg, (split,) = ctx.config, ctx.tasks
    assert split.train is not None and split.val is not None
    parts = {"train": split.train, "val": split.val, "test": split.test}
    view, feature_kind = probe_view(ctx.model)
    bank = ctx.bank(split.data, view=view, view_name=feature_kind, normalize=False)
    labels = {p: s.labels for p, s in parts.items()}
    # the train rows each ratio draws, encoded once: a 1 % probe encodes 1 % of train
    drawn = {r: subsample_indices(labels["train"], r, cfg.seed) for r in inp.ratios}
    feats = {p: bank.get(list(parts[p].indices)) for p in ("val", "test")}
    feats["train"] = _train_features(bank, parts["train"], drawn)
    overlap, notes = ctx.overlap(split, split.test.indices)
    test_ids = task_output_ids(split, split.test.indices)
    results = []
    for r in inp.ratios:
        res, s_test, fit = run_probe(feats, labels, split.test.label_names, ratio=r,
                                     seed=cfg.seed, n_bootstrap=cfg.n_bootstrap,
                                     epochs=inp.epochs, train_rows=drawn[r])  # fmt: skip
        info = {"dataset": split.dataset, "task": split.task, "probe": fit,
                "features": feature_kind, **ctx.lead_info(),
                **{f"{p}_split": s.info for p, s in parts.items()}}  # fmt: skip
        results.append(TaskOutput(f"{split.name}-{r * 100:g}pct", res, labels["test"],
                                  s_test, info, ids=test_ids))  # fmt: skip
    run = ctx.run_info("linear-probe", random_init=inp.random_init, model=inp.model_name,
                       ratios=inp.ratios, data_manifest_sha256=split.data.manifest_sha256,
                       n_bootstrap=cfg.n_bootstrap, features=feature_kind,
                       pretraining_overlap=overlap, **ctx.lead_info())  # fmt: skip
    return _finish(ctx, run, results, notes)


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
                raise EvalDataError(f"{tok!r} is not a percentage") from exc
            if not 0 < pct <= 100:
                raise EvalDataError(f"{tok} is not a percentage in (0, 100]")
            out.append(pct / 100)
    if not out:
        raise EvalDataError("no percentage given")
    return out
