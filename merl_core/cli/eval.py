"""``merl-core`` evaluation commands: ``zeroshot``, ``protocol``, ``linear-probe``, ``demo``."""

from __future__ import annotations

import logging
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from merl_core.cli.errors import fail, setup_logging

logger = logging.getLogger(__name__)


class Task(StrEnum):
    """Dataset tasks (PTB-XL has four plus ``all``; the others one, ``default``)."""

    super = "super"
    sub = "sub"
    form = "form"
    rhythm = "rhythm"
    all = "all"
    default = "default"


class PromptMode(StrEnum):
    """How a class embedding is made from its prompt entry."""

    description = "description"
    phrases = "phrases"
    name = "name"


class LabelSource(StrEnum):
    """Where evaluation labels come from when a split file is given."""

    split_file = "split"
    cache = "cache"


def _default_out(kind: str) -> Path:
    return Path("results") / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}"


OutOpt = Annotated[
    Path | None, typer.Option("--out", help="Run folder (default results/<kind>-<time>).")
]
SeedOpt = Annotated[int, typer.Option(help="Seed of the bootstrap and the probe.")]
BootOpt = Annotated[
    int, typer.Option("--bootstrap", help="Bootstrap resamples for 95 % CIs (0: none).")
]
BatchOpt = Annotated[int, typer.Option(help="ECGs per inference batch.")]
DeviceOpt = Annotated[str, typer.Option(help="torch device: cpu, cuda, cuda:1, …")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")]
DataOpt = Annotated[
    Path, typer.Option(help="A prepared cache folder, or a dataset root to prepare.")
]
TaskOpt = Annotated[
    Task | None, typer.Option(help="Dataset task (default: super for PTB-XL, else default).")
]
DatasetOpt = Annotated[str | None, typer.Option(help="ptbxl, cpsc2018, csn (default: inferred).")]
SplitsRootOpt = Annotated[
    Path | None, typer.Option(help="merl-splits folder for the default split files.")
]
PromptModeOpt = Annotated[PromptMode, typer.Option(help="description | phrases | name.")]


def zeroshot(
    prompts: Annotated[Path, typer.Option(help="Prompt file (structured or flat {label: text}).")],
    checkpoint: Annotated[
        Path, typer.Option(help="Checkpoint folder or file (merl-core pretrain).")
    ],
    data: DataOpt,
    task: TaskOpt = None,
    dataset: DatasetOpt = None,
    split_file: Annotated[
        Path | None, typer.Option(help="Test split file (published protocol).")
    ] = None,
    val_split_file: Annotated[
        Path | None,
        typer.Option(
            help="Validation split file for the F1 thresholds (default: the _val sibling)."
        ),
    ] = None,
    splits_root: SplitsRootOpt = None,
    prompt_mode: PromptModeOpt = PromptMode.description,
    labels: Annotated[
        LabelSource, typer.Option(help="Labels from the split file or the cache.")
    ] = LabelSource.split_file,
    out: OutOpt = None,
    bootstrap: BootOpt = 1000,
    seed: SeedOpt = 0,
    batch_size: BatchOpt = 64,
    device: DeviceOpt = "cpu",
    verbose: VerboseOpt = False,
) -> None:
    """Zero-shot classification of one dataset task from a prompt set."""
    from merl_core.cli import eval_run

    setup_logging(verbose)
    try:
        eval_run.run_zeroshot_cli(
            prompts=prompts, checkpoint=checkpoint, data=data,
            task=task.value if task else None, dataset=dataset,
            split_file=split_file, val_split_file=val_split_file, splits_root=splits_root,
            prompt_mode=prompt_mode.value, label_source=labels.value,
            out=out or _default_out("zeroshot"), n_bootstrap=bootstrap, seed=seed,
            batch_size=batch_size, device=device,
        )  # fmt: skip
    except eval_run.USER_ERRORS as exc:
        fail(str(exc))


def protocol(
    prompts_dir: Annotated[
        Path, typer.Option(help="Folder with ptbxl.json, cpsc2018.json, csn.json.")
    ],
    checkpoint: Annotated[Path, typer.Option(help="Checkpoint folder or file.")],
    ptbxl: Annotated[Path | None, typer.Option(help="PTB-XL cache or root.")] = None,
    cpsc: Annotated[Path | None, typer.Option(help="CPSC2018 cache or root.")] = None,
    csn: Annotated[Path | None, typer.Option(help="Chapman-Shaoxing-Ningbo cache or root.")] = None,
    splits_root: Annotated[
        Path | None, typer.Option(help="merl-splits folder (default: the shared data).")
    ] = None,
    prompt_mode: PromptModeOpt = PromptMode.description,
    out: OutOpt = None,
    bootstrap: BootOpt = 1000,
    seed: SeedOpt = 0,
    batch_size: BatchOpt = 64,
    device: DeviceOpt = "cpu",
    verbose: VerboseOpt = False,
) -> None:
    """The published zero-shot protocol: six test sets, 106 classes, in one run."""
    from merl_core.cli import eval_run

    setup_logging(verbose)
    try:
        eval_run.run_protocol_cli(
            prompts_dir=prompts_dir, checkpoint=checkpoint,
            roots={"ptbxl": ptbxl, "cpsc2018": cpsc, "csn": csn}, splits_root=splits_root,
            prompt_mode=prompt_mode.value, out=out or _default_out("protocol"),
            n_bootstrap=bootstrap, seed=seed, batch_size=batch_size, device=device,
        )  # fmt: skip
    except eval_run.USER_ERRORS as exc:
        fail(str(exc))


def linear_probe(
    ctx: typer.Context,
    data: DataOpt,
    checkpoint: Annotated[Path | None, typer.Option(help="Checkpoint folder or file.")] = None,
    model: Annotated[
        str | None, typer.Option(help="Architecture for --random-init without a checkpoint.")
    ] = None,
    task: TaskOpt = None,
    dataset: DatasetOpt = None,
    split_file: Annotated[
        Path | None, typer.Option(help="Test split file; train/val are its siblings.")
    ] = None,
    splits_root: SplitsRootOpt = None,
    ratio: Annotated[
        str, typer.Option(help="Percent of the train split: '1 10 100' or '1,10,100'.")
    ] = "1,10,100",
    random_init: Annotated[
        bool, typer.Option("--random-init", help="Random-weight encoder baseline.")
    ] = False,
    epochs: Annotated[int, typer.Option(help="Full-batch epochs per weight decay.")] = 200,
    out: OutOpt = None,
    bootstrap: BootOpt = 1000,
    seed: SeedOpt = 0,
    batch_size: BatchOpt = 64,
    device: DeviceOpt = "cpu",
    verbose: VerboseOpt = False,
) -> None:
    """Linear probe on frozen ECG features with 1 / 10 / 100 % of the training split."""
    from merl_core.cli import eval_run

    setup_logging(verbose)
    try:
        ratios = eval_run.parse_ratios([ratio, *ctx.args])
        eval_run.run_probe_cli(
            checkpoint=checkpoint, model_name=model, data=data, task=task.value if task else None,
            dataset=dataset, split_file=split_file, splits_root=splits_root, ratios=ratios,
            random_init=random_init, epochs=epochs, out=out or _default_out("probe"),
            n_bootstrap=bootstrap, seed=seed, batch_size=batch_size, device=device,
        )  # fmt: skip
    except eval_run.USER_ERRORS as exc:
        fail(str(exc))


def demo(
    out: Annotated[
        Path, typer.Option(help="Folder for the demo's data, model, prompts and results.")
    ] = Path("results/demo"),
    quick: Annotated[bool, typer.Option("--quick", help="A minute-scale run (for tests).")] = False,
    n_records: Annotated[int | None, typer.Option(help="Synthetic ECG-report pairs.")] = None,
    steps: Annotated[int | None, typer.Option(help="Pretraining steps.")] = None,
    llm: Annotated[str, typer.Option(help="Prompt builder LLM backend: local | none.")] = "local",
    seed: SeedOpt = 0,
    verbose: VerboseOpt = False,
) -> None:
    """End to end on a fresh machine, offline: synthetic data, pretrain, prompts, zero-shot."""
    from merl_core.cli import demo as demo_mod

    setup_logging(verbose)
    try:
        demo_mod.run_demo(out, quick=quick, n_records=n_records, steps=steps, llm=llm, seed=seed)
    except demo_mod.DemoError as exc:
        fail(str(exc))


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("zeroshot")(zeroshot)
    app.command("protocol")(protocol)
    app.command(
        "linear-probe",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": False},
    )(linear_probe)
    app.command("demo")(demo)
