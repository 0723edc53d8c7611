"""One entry point from a dataset name to a :class:`Source` and to a prepared cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ckepe.registry import DATASETS as REGISTRY
from merl_core.data.preprocess import PreprocessConfig
from merl_core.data.source import Source
from merl_core.errors import MerlCoreError

DATASETS = tuple(REGISTRY)  # every dataset that can be prepared (ckepe.registry)


class DatasetError(MerlCoreError, ValueError):
    """An unknown dataset or a root that does not fit it."""


def build_source(
    dataset: str, root: str | Path | None = None, *, split_file: str | Path | None = None,
    labels: str = "published", fs: int = 500, task: str = "all", n: int = 256, seed: int = 0,
) -> Source:  # fmt: skip
    """The records and labels of ``dataset`` (restricted to ``split_file`` when given)."""
    if dataset not in DATASETS:
        raise DatasetError(f"unknown dataset {dataset!r} (one of {', '.join(DATASETS)})")
    if dataset == "synthetic":
        from merl_core.data.synthetic import synthetic_source

        return synthetic_source(n, seed)
    if root is None:
        raise DatasetError(f"{dataset}: --root is required")
    root = Path(root)
    if not root.exists():
        raise DatasetError(f"{root}: dataset root not found")
    if dataset == "ptbxl":
        from merl_core.data.ptbxl import ptbxl_source

        src = ptbxl_source(root, fs=fs, task=task)
    elif dataset == "mimic":
        from merl_core.data.mimic import mimic_source

        src = mimic_source(root)
    else:
        from merl_core.data.challenge import challenge_source

        src = challenge_source(root, dataset)
    if split_file is not None:
        from merl_core.data.splits import apply_split, read_split

        src = apply_split(src, read_split(split_file), labels)
    return src


def prepare(
    dataset: str, root: str | Path | None, out: str | Path, *,
    split_file: str | Path | None = None, labels: str = "published", dtype: str = "float32",
    workers: int = 1, cfg: PreprocessConfig | None = None, fs: int = 500, task: str = "all",
    n: int = 256, seed: int = 0, progress: bool = True, resample: bool = False,
    bad_lead: str | None = None, min_seconds: float | None = None,
    shard: tuple[int, int] | None = None, merge: bool = False,
) -> Path:  # fmt: skip
    """Build (or reuse) the prepared cache of ``dataset`` in ``out``; returns ``out``.

    ``resample``: resample records whose rate differs from the dataset's (else skipped as
    ``fs_mismatch``); ``bad_lead``: ``skip`` or ``zero`` (default: the dataset's policy);
    ``shard=(I, N)``: build one shard (returns its build folder); ``merge``: merge the shards.
    """
    from merl_core.data.prepare import prepare_source
    from merl_core.data.quality import quality_for

    src = build_source(dataset, root, split_file=split_file, labels=labels, fs=fs, task=task,
                       n=n, seed=seed)  # fmt: skip
    params: dict[str, Any] = {"root": str(Path(root).resolve()) if root else None,
                              "split_file": str(split_file) if split_file else None,
                              "labels": labels, "fs_files": fs, "task": task}  # fmt: skip
    if dataset == "synthetic":
        params = {"n": n, "seed": seed}
    qc = quality_for(dataset, fs_files=fs if dataset == "ptbxl" else None, resample=resample,
                     bad_lead=bad_lead, min_seconds=min_seconds)  # fmt: skip
    if merge:
        from merl_core.data.shards import merge_shards

        return merge_shards(src, out, cfg=cfg, dtype=dtype, params=params, quality=qc)
    if shard is not None:
        from merl_core.data.shards import prepare_shard

        return prepare_shard(src, out, shard, cfg=cfg, dtype=dtype, workers=workers,
                             params=params, progress=progress, quality=qc)  # fmt: skip
    return prepare_source(src, out, cfg=cfg, dtype=dtype, workers=workers, params=params,
                          progress=progress, quality=qc)  # fmt: skip
