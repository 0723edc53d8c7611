"""``merl-core`` commands for data (registered onto the main app by :func:`register`)."""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

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


def prepare(
    dataset: Annotated[str, typer.Argument(help="ptbxl, cpsc2018, csn, ningbo, georgia, "
                                           "challenge, mimic or synthetic.")],
    out: Annotated[Path, typer.Option("--out", help="Cache folder to write.")],
    root: Annotated[Path | None, typer.Option("--root", help="Dataset root folder.")] = None,
    split_file: Annotated[Path | None, typer.Option("--split-file", exists=True, dir_okay=False,
                          help="A MERL split CSV: its rows and label columns.")] = None,
    labels: Annotated[LabelMode, typer.Option(help="Split-file labels as published, or "
                      "rebuilt (CSN: exact acronym match on 'diagnose').")] = LabelMode.published,
    dtype: Annotated[DType, typer.Option(help="Storage dtype of the signals.")] = DType.float32,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    fs: Annotated[int, typer.Option(help="PTB-XL files to read: 100 or 500 Hz.")] = 500,
    task: Annotated[str, typer.Option(help="PTB-XL label set of 'labels': all, super, sub, "
                                      "form, rhythm (all are stored).")] = "all",
    crop: Annotated[Crop, typer.Option(help="start: first 5000 samples; first2500: "
                    "upstream's CPSC2018 choice (2500 then zeros).")] = Crop.start,
    normalize: Annotated[Norm, typer.Option(help="Per-record normalisation.")] = Norm.minmax,
    n: Annotated[int, typer.Option(min=1, help="synthetic: number of records.")] = 256,
    seed: Annotated[int, typer.Option(help="synthetic: seed.")] = 0,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Preprocess a dataset into a memory-mapped cache (signals.npy + manifest.json)."""
    from merl_core.data.cache import ECGCache
    from merl_core.data.challenge import ChallengeError
    from merl_core.data.datasets import DatasetError
    from merl_core.data.datasets import prepare as run_prepare
    from merl_core.data.mimic import MimicError
    from merl_core.data.prepare import NoUsableRecordsError
    from merl_core.data.preprocess import PreprocessConfig
    from merl_core.data.ptbxl import PTBXLError
    from merl_core.data.splits import SplitError

    setup_logging()
    cfg = PreprocessConfig(crop=crop.value, normalize=normalize.value)
    try:
        path = run_prepare(dataset, root, out, split_file=split_file, labels=labels.value,
                           dtype=dtype.value, workers=workers, cfg=cfg, fs=fs, task=task,
                           n=n, seed=seed, progress=progress)  # fmt: skip
    except (DatasetError, PTBXLError, ChallengeError, MimicError, SplitError,
            NoUsableRecordsError) as exc:  # fmt: skip
        fail(str(exc))
    cache = ECGCache(path)
    counts = cache.meta.get("counts", {})
    typer.echo(f"{path}: {len(cache)} records cached, {counts.get('skipped', 0)} skipped, "
               f"{counts.get('missing', 0)} missing ({len(cache.label_names)} labels)")  # fmt: skip


def check_splits(
    split_files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False,
                           help="CSN (chapman_*.csv) split files.")],
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
