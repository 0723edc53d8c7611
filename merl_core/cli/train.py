"""``merl-core pretrain`` and ``merl-core export`` (registered onto the main app)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from merl_core.cli.errors import fail, setup_logging


def pretrain(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", exists=True, dir_okay=False, help="YAML pretraining config."
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Override: key=value (repeatable, dotted keys: model_overrides.depth=2)."
        ),
    ] = None,
    cache: Annotated[
        Path | None, typer.Option(help="Prepared cache folder (ECG + reports).")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Encoder name (merl-core models).")] = None,
    out: Annotated[Path | None, typer.Option(help="Run folder (checkpoints, metrics).")] = None,
    epochs: Annotated[int | None, typer.Option(help="Epochs.")] = None,
    max_steps: Annotated[int | None, typer.Option(help="Stop after this many steps.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Pairs per process per step.")] = None,
    precision: Annotated[str | None, typer.Option(help="auto | fp32 | bf16 | fp16.")] = None,
    compile_: Annotated[bool, typer.Option("--compile", help="torch.compile the model.")] = False,
    resume: Annotated[
        str | None,
        typer.Option(
            help="Checkpoint or run folder, 'auto' (this --out folder's newest whole "
            "checkpoint), or 'force' (auto, even with other settings)."
        ),
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Replace the run already in --out (else refused)."),
    ] = False,
    ckpt_every: Annotated[int | None, typer.Option(help="Checkpoint every N steps.")] = None,
    ckpt_every_minutes: Annotated[
        float | None, typer.Option(help="Also checkpoint every N minutes (preemption).")
    ] = None,
    skip_nonfinite: Annotated[
        int | None, typer.Option(help="Steps with a NaN/inf loss skipped before stopping.")
    ] = None,
    device: Annotated[str | None, typer.Option(help="auto | cpu | cuda.")] = None,
    num_workers: Annotated[int | None, typer.Option(help="DataLoader worker processes.")] = None,
    stop_after: Annotated[
        int | None,
        typer.Option(help="Fault injection: stop after this step without the final checkpoint."),
    ] = None,
) -> None:
    """Pretrain MERL (CMA + UMA) on ECG–report pairs: one process, torchrun or srun.

    SIGTERM or SIGUSR1 saves a checkpoint at the step reached and exits (0); `--resume auto`
    continues. A NaN/inf loss stops the run (exit 1) keeping the last good checkpoint.
    """
    from merl_core.train.config import load_config
    from merl_core.train.distributed import LaunchError, resolve_launch
    from merl_core.train.pretrain import NonFiniteLoss, train

    try:
        rank = resolve_launch().rank
    except LaunchError as exc:
        fail(str(exc))
    # Rank 0 alone tells the story; the others speak only of problems.
    setup_logging(rank=rank)
    try:
        cfg = load_config(
            config,
            set_,
            cache=cache,
            model=model,
            out=out,
            epochs=epochs,
            max_steps=max_steps,
            batch_size=batch_size,
            precision=precision,
            compile=compile_ or None,
            resume=resume,
            overwrite=overwrite or None,
            stop_after=stop_after,
            ckpt_every=ckpt_every,
            ckpt_every_minutes=ckpt_every_minutes,
            skip_nonfinite=skip_nonfinite,
            device=device,
            num_workers=num_workers,
        )
        summary = train(cfg)
    except NonFiniteLoss as exc:
        fail(str(exc), 1)
    if summary.pop("rank", 0) == 0:
        typer.echo(json.dumps(summary))


def export(
    checkpoint: Annotated[Path, typer.Argument(help="Checkpoint or run folder.")],
    out: Annotated[Path, typer.Argument(help="Folder for the exported ECG encoder.")],
) -> None:
    """Write the ECG encoder of a checkpoint alone (safetensors + config.json)."""
    from merl_core.train.checkpoint import CheckpointError, export_ecg_encoder

    try:
        path = export_ecg_encoder(checkpoint, out)
    except (CheckpointError, OSError) as exc:
        fail(str(exc))
    typer.echo(str(path))


def models() -> None:
    """List the registered encoder architectures."""
    from merl_core.models import list_models

    for name in list_models():
        typer.echo(name)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("pretrain")(pretrain)
    app.command("export")(export)
    app.command("models")(models)
