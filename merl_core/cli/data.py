"""``merl-core`` commands for data (registered onto the main app by :func:`register`)."""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ckepe.registry import DATASETS
from merl_core.cli.errors import fail, setup_logging

logger = logging.getLogger(__name__)


class LabelMode(StrEnum):
    published = "published"
    rebuilt = "rebuilt"


class DType(StrEnum):
    float16 = "float16"
    float32 = "float32"


class Crop(StrEnum):
    start = "start"
    first2500 = "first2500"


class Norm(StrEnum):
    minmax = "minmax"
    zscore = "zscore"
    none = "none"


class BadLead(StrEnum):
    skip = "skip"
    zero = "zero"


def prepare(
    dataset: Annotated[
        str,
        typer.Argument(help=f"One of {', '.join(DATASETS)}."),
    ],
    out: Annotated[Path, typer.Option("--out", help="Cache folder to write.")],
    root: Annotated[Path | None, typer.Option("--root", help="Dataset root folder.")] = None,
    split_file: Annotated[
        Path | None,
        typer.Option(
            "--split-file",
            exists=True,
            dir_okay=False,
            help="A MERL split CSV: its rows and label columns.",
        ),
    ] = None,
    labels: Annotated[
        LabelMode,
        typer.Option(
            help="Split-file labels as published, or "
            "rebuilt (CSN: exact acronym match on 'diagnose')."
        ),
    ] = LabelMode.published,
    dtype: Annotated[DType, typer.Option(help="Storage dtype of the signals.")] = DType.float32,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    fs: Annotated[int, typer.Option(help="PTB-XL files to read: 100 or 500 Hz.")] = 500,
    task: Annotated[
        str,
        typer.Option(
            help="PTB-XL label set of 'labels': all, super, sub, form, rhythm (all are stored)."
        ),
    ] = "all",
    crop: Annotated[
        Crop,
        typer.Option(
            help="start: first 5000 samples; first2500: "
            "upstream's CPSC2018 choice (2500 then zeros)."
        ),
    ] = Crop.start,
    normalize: Annotated[Norm, typer.Option(help="Per-record normalisation.")] = Norm.minmax,
    resample: Annotated[
        bool,
        typer.Option(
            "--resample",
            help="Resample records whose rate "
            "differs from the dataset's (else skipped as fs_mismatch); the "
            "manifest lists them.",
        ),
    ] = False,
    bad_lead: Annotated[
        BadLead | None,
        typer.Option(
            help="A NaN, flat or saturated lead: skip "
            "the record, or zero the lead and record it (default: the dataset's "
            "policy; zero for mimic and ningbo)."
        ),
    ] = None,
    min_seconds: Annotated[
        float | None, typer.Option(min=0, help="Minimum record duration (default 5 s).")
    ] = None,
    shard: Annotated[
        str | None,
        typer.Option(
            help="Build only shard I/N (0 ≤ I < N) of the "
            "records, for a cluster; then run once more with --merge."
        ),
    ] = None,
    merge: Annotated[
        bool,
        typer.Option(
            "--merge",
            help="Merge the finished shards into the "
            "cache (same arguments as the shards, without --shard).",
        ),
    ] = False,
    n: Annotated[int, typer.Option(min=1, help="synthetic: number of records.")] = 256,
    seed: Annotated[int, typer.Option(help="synthetic: seed.")] = 0,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Preprocess a dataset into a memory-mapped cache (signals.npy + manifest.json).

    Exit 0 done; 1 folder locked, no space, shards not done; 2 bad input (nothing usable).
    """
    from merl_core.data.buildfs import PrepareError
    from merl_core.data.challenge import ChallengeError
    from merl_core.data.datasets import DatasetError
    from merl_core.data.datasets import prepare as run_prepare
    from merl_core.data.mimic import MimicError
    from merl_core.data.prepare import NoUsableRecordsError
    from merl_core.data.preprocess import PreprocessConfig
    from merl_core.data.ptbxl import PTBXLError
    from merl_core.data.shards import ShardError, parse_shard
    from merl_core.data.splits import SplitError

    setup_logging()
    cfg = PreprocessConfig(crop=crop.value, normalize=normalize.value)
    try:
        shard_ij = parse_shard(shard) if shard is not None else None
        if shard_ij is not None and merge:
            raise ShardError("--merge runs after the shards, without --shard")
    except ShardError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        path = run_prepare(dataset, root, out, split_file=split_file, labels=labels.value,
                           dtype=dtype.value, workers=workers, cfg=cfg, fs=fs, task=task,
                           n=n, seed=seed, progress=progress, resample=resample,
                           bad_lead=bad_lead.value if bad_lead else None,
                           min_seconds=min_seconds, shard=shard_ij, merge=merge)  # fmt: skip
    except (DatasetError, PTBXLError, ChallengeError, MimicError, SplitError,
            NoUsableRecordsError) as exc:  # fmt: skip
        fail(str(exc))
    except PrepareError as exc:  # locked, no space, shards not done: retry when resolved
        fail(str(exc), 1)
    if shard_ij is not None:
        typer.echo(f"{path}: shard {shard_ij[0]}/{shard_ij[1]} done; when every shard is, run "
                   "the same command with --merge instead of --shard")  # fmt: skip
        return
    _print_summary(path)


def _print_summary(path: Path) -> None:
    """Counts, skip reasons by code, zeroed and resampled records of a cache."""
    from merl_core.data.cache import ECGCache

    cache = ECGCache(path)
    counts = cache.meta.get("counts", {})
    typer.echo(f"{path}: {len(cache)} records cached, {counts.get('skipped', 0)} skipped, "
               f"{counts.get('missing', 0)} missing ({len(cache.label_names)} labels)")  # fmt: skip
    reasons = cache.meta.get("skip_reasons") or {}
    if reasons:
        typer.echo("skipped by reason: " + ", ".join(f"{k} {v}" for k, v in reasons.items()))
    if counts.get("zeroed"):
        typer.echo(
            f"{counts['zeroed']} records kept with bad leads zeroed (manifest: zeroed_leads)"
        )
    if counts.get("resampled"):
        typer.echo(f"{counts['resampled']} records resampled (manifest: resampled_from)")


def check_splits(
    split_files: Annotated[
        list[Path],
        typer.Argument(exists=True, dir_okay=False, help="CSN (chapman_*.csv) split files."),
    ],
) -> None:
    """Per class: positives as published vs rebuilt by exact acronym match on 'diagnose'."""
    from rich.console import Console
    from rich.table import Table

    from merl_core.data.splits import SplitError, compare_labels, read_split

    console = Console()
    for path in split_files:
        try:
            df = compare_labels(read_split(path))
        except SplitError as exc:
            fail(str(exc))
        table = Table(title=f"{path.name}: published vs rebuilt positives")
        for col in ("label", "published", "rebuilt", "published_only", "rebuilt_only"):
            table.add_column(col, justify="left" if col == "label" else "right")
        for row in df.itertuples(index=False):
            style = "bold red" if row.published != row.rebuilt else None
            table.add_row(*(str(v) for v in row), style=style)
        console.print(table)
        differ = int((df["published"] != df["rebuilt"]).sum())
        console.print(f"{differ} of {len(df)} classes differ")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("prepare")(prepare)
    app.command("check-splits")(check_splits)
