"""Dataset label sets: each dataset label mapped to terminology concept ids.

``knowledge/labelsets/<dataset>.tsv`` has the columns ``task label concept_ids name mapping
note excluded_ids``; ``excluded_ids`` (optional) names is-a descendants of the class concepts
that the dataset does not file under the label (with their own descendants): they are neither
subtypes of the class nor a way for it to reach a feature. PTB-XL tasks are ``super``,
``sub``, ``form``, ``rhythm`` (the published protocol's four, 59 labels) and ``all`` (the
71 SCP statements); the other datasets have ``default``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ckepe import registry
from ckepe.errors import CkepeError
from ckepe.registry import ALL_TASK, DEFAULT_TASK, LABELSET_DATASETS, PROTOCOL, PROTOCOL_TASKS
from ckepe.terminology import knowledge_dir

DATASETS = LABELSET_DATASETS  # ckepe.registry: the datasets with a label set
COLUMNS = ["task", "label", "concept_ids", "name", "mapping", "note", "excluded_ids"]
MAPPINGS = {"exact", "closest", "group"}


class LabelSetError(CkepeError, ValueError):
    """A label-set table is missing or malformed."""


@dataclass(frozen=True)
class LabelEntry:
    """One dataset label of one task."""

    label: str
    task: str
    concept_ids: tuple[str, ...]
    name: str
    mapping: str
    note: str = ""
    excluded_ids: tuple[str, ...] = ()


def labelset_path(dataset: str, folder: Path | None = None) -> Path:
    """Path of a dataset's label-set table."""
    return (folder or knowledge_dir() / "labelsets") / f"{dataset}.tsv"


def read_labelset_table(dataset: str, folder: Path | None = None) -> list[LabelEntry]:
    """Every row of ``<dataset>.tsv`` in file order."""
    if dataset not in DATASETS:
        raise LabelSetError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
    path = labelset_path(dataset, folder)
    if not path.exists():
        raise LabelSetError(f"{path}: label-set table not found")
    rows: list[LabelEntry] = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = set(COLUMNS[:4]) - set(reader.fieldnames or [])
        if missing:
            raise LabelSetError(f"{path}: missing columns {sorted(missing)}")
        for i, row in enumerate(reader, start=2):
            if not (row.get("label") or "").strip():
                continue
            ids = tuple(c.strip() for c in (row["concept_ids"] or "").split(";") if c.strip())
            if not ids:
                raise LabelSetError(f"{path}:{i}: label {row['label']!r} has no concept_ids")
            rows.append(
                LabelEntry(
                    row["label"].strip(),
                    row["task"].strip(),
                    ids,
                    row["name"].strip(),
                    (row.get("mapping") or "").strip(),
                    (row.get("note") or "").strip(),
                    tuple(
                        c.strip() for c in (row.get("excluded_ids") or "").split(";") if c.strip()
                    ),
                )
            )
    return rows


def tasks_of(dataset: str, task: str | None) -> tuple[str, ...]:
    """Expand a task option: None/``protocol`` → the protocol tasks; PTB-XL ``all`` stays."""
    if dataset not in DATASETS:
        raise LabelSetError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
    if task in (None, PROTOCOL):
        return PROTOCOL_TASKS[dataset]
    choices = (*registry.dataset(dataset).tasks, *registry.dataset(dataset).extra_tasks)
    if choices == (DEFAULT_TASK,):
        if task in (DEFAULT_TASK, ALL_TASK):
            return (DEFAULT_TASK,)
        raise LabelSetError(f"{dataset} has a single task ('default'), not {task!r}")
    if task not in choices:
        raise LabelSetError(
            f"unknown {dataset} task {task!r}; choose {', '.join(choices)} or {PROTOCOL}"
        )
    return (task,)


def load_labelset(
    dataset: str, task: str | None = None, folder: Path | None = None
) -> list[LabelEntry]:
    """The ordered label entries of one dataset and task (``None``/``protocol`` = protocol)."""
    wanted = tasks_of(dataset, task)
    rows = [r for r in read_labelset_table(dataset, folder) if r.task in wanted]
    if not rows:
        raise LabelSetError(f"{labelset_path(dataset, folder)}: no rows for task(s) {wanted}")
    rows.sort(key=lambda r: wanted.index(r.task))  # stable: file order within a task
    return rows
