"""``merl-core`` evaluation commands: ``zeroshot``, ``protocol``, ``linear-probe``,
``compare-prompts``, ``import-upstream``, ``demo``."""

from __future__ import annotations

import logging
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ckepe.registry import EvalDataset, EvalTask
from merl_core.cli.errors import fail, setup_logging

logger = logging.getLogger(__name__)


class PromptMode(StrEnum):
    """How a class embedding is made from its prompt entry."""

    description = "description"
    phrases = "phrases"
    name = "name"


class LabelSource(StrEnum):
    """Where evaluation labels come from when a split file is given."""

    split_file = "split"
    cache = "cache"


def _leads(leads: str | None, sweep: str | None) -> tuple[tuple[str, ...] | None, list | None]:
    """The lead subset and the sweep of the options (a bad one named by its option)."""
    from merl_core.eval.leads import LeadSpecError, parse_leads, parse_sweep

    if leads and sweep:
        raise typer.BadParameter("give --leads or --lead-sweep, not both")
    try:
        subset = parse_leads(leads) if leads else None
    except LeadSpecError as exc:
        fail(f"--leads: {exc}")
    try:
        return subset, (parse_sweep(sweep) if sweep else None)
    except LeadSpecError as exc:
        fail(f"--lead-sweep: {exc}")


def show_run(run: Any) -> None:
    """Print a run's prompt-set versions (the protocol), its tables, notes and where it wrote."""
    from rich.console import Console
    from rich.table import Table

    from merl_core.eval.report import rich_table

    console = Console()
    if run.prompt_versions is not None:
        tab = Table(title="prompt sets")
        tab.add_column("dataset")
        tab.add_column("prompt_set_version")
        for ds, v in run.prompt_versions.items():
            tab.add_row(ds, str(v))
        console.print(tab)
    for t in run.tasks:
        console.print(rich_table(t))
    for line in run.notes:
        console.print(f"[bold yellow]{line}[/]")
    console.print(f"results: {run.out}/metrics.json, metrics.md, roc_*.png, auc_*.png")


# What a MissingInputError of the library misses -> what this command line asks for.
MISSING_INPUT = {
    "dataset": "give --dataset to prepare it",
    "test_split": "give --split-file or --splits-root (the merl-splits folder), or --no-split "
    "to score every cached record (not a benchmark)",
    "probe_splits": "give --split-file or --splits-root, the merl-splits folder",
    "data": "give at least one of --ptbxl, --cpsc, --csn",
    "checkpoint": "give --checkpoint (or --random-init with --model NAME)",
}


def missing_input(exc: Any, **hints: str) -> str:
    """The library's message of a missing input, with the options that give it (``hints``
    override :data:`MISSING_INPUT` for one command)."""
    hint = {**MISSING_INPUT, **hints}.get(exc.what)
    return f"{exc}; {hint}" if hint else str(exc)


def _evaluate(open_run: Any, score: Any, cfg: Any, inp: Any, sweep: list | None) -> None:
    """Open one evaluation context, then score it once, or once per lead subset (the data,
    model and prompts opened once); each run's tables shown as it finishes."""
    from functools import partial

    from merl_core.eval.context import MissingInputError
    from merl_core.eval.runner import MissingResultsError
    from merl_core.eval.sweep import run_lead_sweep

    try:
        ctx = open_run(cfg, inp)
    except MissingInputError as exc:
        fail(missing_input(exc))
    scored = partial(score, inp=inp)
    if sweep is not None:
        run_lead_sweep(scored, ctx, sweep, on_run=show_run)
        return
    try:
        result = scored(ctx)
    except MissingResultsError as exc:
        show_run(exc.run)
        raise
    show_run(result)


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
    EvalTask | None, typer.Option(help="Dataset task (default: super for PTB-XL, else default).")
]
DatasetOpt = Annotated[
    EvalDataset | None,
    typer.Option(help="The data's dataset (default: from the cache or prompts)."),
]
LeadsOpt = Annotated[
    str | None,
    typer.Option(
        help="Leads kept, the others zeroed: names or sets, comma-separated (all12, limb6, "
        "precordial6, limb3, I, II, 'I,II', 'limb6,V1'). Recorded in metrics.json."
    ),
]
SweepOpt = Annotated[
    str | None,
    typer.Option(
        "--lead-sweep",
        help="Evaluate several lead subsets, ';'-separated ('all12;limb6;I,II;II') or 'default'; "
        "writes lead_sweep.json/.md/.png beside one run folder per subset.",
    ),
]
NoSplitOpt = Annotated[
    bool,
    typer.Option(
        "--no-split",
        help="Score every cached record with the cache's labels when no split file exists; "
        "every output then says the scores are NOT a benchmark.",
    ),
]
SplitsRootOpt = Annotated[
    Path | None, typer.Option(help="merl-splits folder for the default split files.")
]
PromptModeOpt = Annotated[PromptMode, typer.Option(help="description | phrases | name.")]


def zeroshot(
    prompts: Annotated[Path, typer.Option(help="Prompt file (structured or flat {label: text}).")],
    checkpoint: Annotated[
        Path,
        typer.Option(help="Checkpoint folder, run folder, or its model.safetensors file."),
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
    leads: LeadsOpt = None,
    lead_sweep: SweepOpt = None,
    no_split: NoSplitOpt = False,
    out: OutOpt = None,
    bootstrap: BootOpt = 1000,
    seed: SeedOpt = 0,
    batch_size: BatchOpt = 64,
    device: DeviceOpt = "cpu",
    verbose: VerboseOpt = False,
) -> None:
    """Zero-shot classification of one dataset task from a prompt set."""
    from merl_core.eval import runner
    from merl_core.eval.context import EvalConfig

    setup_logging(verbose)
    subset, sweep = _leads(leads, lead_sweep)
    cfg = EvalConfig(out=out or _default_out("zeroshot"), checkpoint=checkpoint,
                     splits_root=splits_root, prompt_mode=prompt_mode.value, leads=subset,
                     n_bootstrap=bootstrap, seed=seed, batch_size=batch_size,
                     device=device)  # fmt: skip
    inp = runner.ZeroshotInput(
        prompts=prompts, data=data, task=task.value if task else None,
        dataset=dataset.value if dataset else None, split_file=split_file,
        val_split_file=val_split_file, label_source=labels.value, no_split=no_split,
    )  # fmt: skip
    _evaluate(runner.open_zeroshot, runner.score_zeroshot, cfg, inp, sweep)


def protocol(
    prompts_dir: Annotated[
        Path, typer.Option(help="Folder with ptbxl.json, cpsc2018.json, csn.json.")
    ],
    checkpoint: Annotated[
        Path, typer.Option(help="Checkpoint folder, run folder, or its model.safetensors.")
    ],
    ptbxl: Annotated[Path | None, typer.Option(help="PTB-XL cache or root.")] = None,
    cpsc: Annotated[Path | None, typer.Option(help="CPSC2018 cache or root.")] = None,
    csn: Annotated[Path | None, typer.Option(help="Chapman-Shaoxing-Ningbo cache or root.")] = None,
    splits_root: Annotated[
        Path | None, typer.Option(help="merl-splits folder (default: the shared data).")
    ] = None,
    prompt_mode: PromptModeOpt = PromptMode.description,
    leads: LeadsOpt = None,
    lead_sweep: SweepOpt = None,
    allow_missing: Annotated[
        bool,
        typer.Option(
            "--allow-missing",
            help="Exit 0 although test sets were skipped (each is still listed in the output).",
        ),
    ] = False,
    out: OutOpt = None,
    bootstrap: BootOpt = 1000,
    seed: SeedOpt = 0,
    batch_size: BatchOpt = 64,
    device: DeviceOpt = "cpu",
    verbose: VerboseOpt = False,
) -> None:
    """The published zero-shot protocol: up to six test sets (106 classes) in one run.

    A test set without records in the given data is skipped, listed in the terminal and in
    metrics.md, and the run exits 1 unless --allow-missing.
    """
    from merl_core.eval import runner
    from merl_core.eval.context import EvalConfig

    setup_logging(verbose)
    subset, sweep = _leads(leads, lead_sweep)
    cfg = EvalConfig(out=out or _default_out("protocol"), checkpoint=checkpoint,
                     splits_root=splits_root, prompt_mode=prompt_mode.value, leads=subset,
                     n_bootstrap=bootstrap, seed=seed, batch_size=batch_size,
                     device=device)  # fmt: skip
    inp = runner.ProtocolInput(prompts_dir=prompts_dir, allow_missing=allow_missing,
                               roots={"ptbxl": ptbxl, "cpsc2018": cpsc, "csn": csn})  # fmt: skip
    try:
        _evaluate(runner.open_protocol, runner.score_protocol, cfg, inp, sweep)
    except runner.MissingResultsError as exc:
        typer.echo(f"incomplete: {exc}; pass --allow-missing to accept a partial protocol",
                   err=True)  # fmt: skip
        raise typer.Exit(1) from None


def linear_probe(
    ctx: typer.Context,
    data: DataOpt,
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            help="Checkpoint folder (whole model or ECG encoder) or its model.safetensors."
        ),
    ] = None,
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
    leads: LeadsOpt = None,
    lead_sweep: SweepOpt = None,
    out: OutOpt = None,
    bootstrap: BootOpt = 1000,
    seed: SeedOpt = 0,
    batch_size: BatchOpt = 64,
    device: DeviceOpt = "cpu",
    verbose: VerboseOpt = False,
) -> None:
    """Linear probe on frozen ECG features with 1 / 10 / 100 % of the training split."""
    from merl_core.eval import runner
    from merl_core.eval.context import EvalConfig
    from merl_core.eval.evalsets import EvalDataError

    setup_logging(verbose)
    subset, sweep = _leads(leads, lead_sweep)
    try:
        ratios = runner.parse_ratios([ratio, *ctx.args])
    except EvalDataError as exc:
        fail(f"--ratio: {exc}")
    cfg = EvalConfig(out=out or _default_out("probe"), checkpoint=checkpoint,
                     splits_root=splits_root, leads=subset, n_bootstrap=bootstrap, seed=seed,
                     batch_size=batch_size, device=device)  # fmt: skip
    inp = runner.ProbeInput(
        data=data, ratios=ratios, task=task.value if task else None,
        dataset=dataset.value if dataset else None, split_file=split_file, model_name=model,
        random_init=random_init, epochs=epochs,
    )  # fmt: skip
    _evaluate(runner.open_probe, runner.score_probe, cfg, inp, sweep)


def compare_prompts(
    prompts: Annotated[
        Path, typer.Option(help="A structured CKEPE prompt set (ckepe build-prompts).")
    ],
    checkpoint: Annotated[
        Path, typer.Option(help="Checkpoint folder (e.g. imported published weights).")
    ],
    data: DataOpt,
    task: Annotated[
        list[EvalTask] | None,
        typer.Option(help="Task(s) to compare (repeat; default: all four PTB-XL tasks)."),
    ] = None,
    dataset: DatasetOpt = None,
    splits_root: SplitsRootOpt = None,
    extra: Annotated[
        list[Path] | None,
        typer.Option(help="Another prompt file to compare (repeat), e.g. a published flat file."),
    ] = None,
    leads: LeadsOpt = None,
    no_split: NoSplitOpt = False,
    out: OutOpt = None,
    bootstrap: BootOpt = 1000,
    seed: SeedOpt = 0,
    batch_size: BatchOpt = 64,
    device: DeviceOpt = "cpu",
    verbose: VerboseOpt = False,
) -> None:
    """CKEPE prompts vs class names and two controls, with paired-bootstrap CIs per task.

    Sets: ckepe-description, ckepe-phrases (phrase mean), class-names, random-words (as many
    random words as the CKEPE text), shuffled-ckepe (CKEPE texts given to the wrong classes).
    Writes compare.json, compare.md, compare.png and the scores per task.
    """
    import json

    from merl_core.eval import compare
    from merl_core.eval.context import EvalConfig, MissingInputError

    setup_logging(verbose)
    cfg = EvalConfig(out=out or _default_out("compare"), checkpoint=checkpoint,
                     splits_root=splits_root, leads=_leads(leads, None)[0],
                     n_bootstrap=bootstrap, seed=seed, batch_size=batch_size,
                     device=device)  # fmt: skip
    inp = compare.CompareInput(
        prompts=prompts, data=data, tasks=[t.value for t in task] if task else None,
        dataset=dataset.value if dataset else None, extra_prompts=list(extra or []),
        no_split=no_split,
    )  # fmt: skip
    try:
        path = compare.run_compare(cfg, inp)
    except MissingInputError as exc:
        fail(missing_input(exc, test_split="give --splits-root, or --no-split"))
    doc = json.loads(path.read_text(encoding="utf-8"))
    for line in doc["run"].get("notes") or []:
        typer.echo(line)
    for t in doc["tasks"].values():
        typer.echo(t["sentence"])
    typer.echo(f"results: {path.parent}/compare.json, compare.md, compare.png")


def import_upstream(
    pth: Annotated[Path, typer.Argument(help="Published xxx_ckpt.pth (or xxx_encoder.pth).")],
    out: Annotated[Path, typer.Option("--out", help="Checkpoint folder to write.")],
    arch: Annotated[
        str | None,
        typer.Option(
            help="resnet1d18/34/50/101, vit1d-tiny/small/middle/base (default: from keys)."
        ),
    ] = None,
    text_encoder: Annotated[
        str,
        typer.Option(help="Hugging Face name or folder of the text encoder's config+tokenizer."),
    ] = "ncbi/MedCPT-Query-Encoder",
    encoder_only: Annotated[
        bool,
        typer.Option("--encoder-only", help="ECG encoder alone (for linear-probe and export)."),
    ] = False,
    verbose: VerboseOpt = False,
) -> None:
    """Import published MERL weights (read with torch.load(weights_only=True)) as a checkpoint."""
    from merl_core.upstream import UpstreamImportError
    from merl_core.upstream import import_upstream as do_import

    setup_logging(verbose)
    try:
        path = do_import(pth, out, arch=arch, text_encoder=text_encoder, encoder_only=encoder_only)
    except UpstreamImportError as exc:
        fail(str(exc))
    typer.echo(f"imported {pth.name} into {path}")


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
    app.command("compare-prompts")(compare_prompts)
    app.command("import-upstream")(import_upstream)
    app.command("demo")(demo)
