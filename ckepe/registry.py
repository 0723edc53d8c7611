"""The one dataset and task registry: every dataset name, what it is, and the published protocol.

Torch-free and import-light, so that both packages read it: ckepe (label sets, the audit, its
command line) and merl_core (the data layer, evaluation, its command line). A dataset is
named here once; the others look it up.

- ``source``: the reader of its records (``ptbxl``, ``challenge``: the PhysioNet Challenge
  2020/21 WFDB format, ``mimic``, ``synthetic``);
- ``fs``: the rate its records are stored at (None: mixed, any rate accepted);
- ``tasks``: the label-set tasks (``knowledge/labelsets/<name>.tsv``) in protocol order,
  ``extra_tasks`` those outside the protocol (PTB-XL's 71-statement ``all``); a dataset
  without tasks has no label set (pretraining data);
- ``split_stems``: task → split-file stem under ``merl-splits/`` for the tasks that are test
  sets of the published MERL protocol (the six: PTB-XL super, sub, form, rhythm; CPSC2018;
  Chapman-Shaoxing-Ningbo);
- ``bad_leads``: what the quality gate does with a dead lead (``skip`` the record, or
  ``zero`` the lead and keep it);
- ``file_hints``: words in a prompt file's name that say its dataset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

PROTOCOL = "protocol"  # the task (and audit "dataset") that means the six published test sets
DEFAULT_TASK = "default"  # the one task of a single-task dataset
ALL_TASK = "all"  # PTB-XL: every SCP statement


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset, as every part of the project names it."""

    name: str
    source: str
    fs: int | None
    tasks: tuple[str, ...] = ()
    extra_tasks: tuple[str, ...] = ()
    split_stems: Mapping[str, str] = field(default_factory=dict)
    bad_leads: str = "skip"
    file_hints: tuple[str, ...] = ()

    @property
    def has_labelset(self) -> bool:
        return bool(self.tasks)

    @property
    def in_protocol(self) -> bool:
        return bool(self.split_stems)

    @property
    def default_task(self) -> str:
        """The task a command uses when none is given (PTB-XL: ``super``)."""
        return self.tasks[0] if self.tasks else DEFAULT_TASK


_PTBXL_STEMS = {t: f"ptbxl/{d}/ptbxl_{d}" for t, d in
                (("super", "super_class"), ("sub", "sub_class"), ("form", "form"),
                 ("rhythm", "rhythm"))}  # fmt: skip

DATASETS: dict[str, DatasetSpec] = {
    d.name: d
    for d in (
        DatasetSpec("ptbxl", "ptbxl", 500, ("super", "sub", "form", "rhythm"), (ALL_TASK,),
                    _PTBXL_STEMS, file_hints=("ptbxl", "ptb")),
        DatasetSpec("cpsc2018", "challenge", 500, (DEFAULT_TASK,),
                    split_stems={DEFAULT_TASK: "icbeb/icbeb"}, file_hints=("cpsc", "icbeb")),
        DatasetSpec("csn", "challenge", 500, (DEFAULT_TASK,),
                    split_stems={DEFAULT_TASK: "chapman/chapman"}, file_hints=("csn", "chapman")),
        DatasetSpec("ningbo", "challenge", 500, bad_leads="zero"),  # dead chest leads as zeros
        DatasetSpec("georgia", "challenge", 500),
        DatasetSpec("cpsc-extra", "challenge", 500),
        DatasetSpec("ptbxl-challenge", "challenge", 500),
        DatasetSpec("ptb", "challenge", 1000),
        DatasetSpec("challenge", "challenge", None),  # a whole Challenge folder, mixed rates
        DatasetSpec("mimic", "mimic", 500, bad_leads="zero"),  # pretraining, 800k records
        # the demo's simulated ECGs
        DatasetSpec("synthetic", "synthetic", 500, (DEFAULT_TASK,), file_hints=("synthetic",)),
    )
}  # fmt: skip

# datasets with a label set (knowledge/labelsets/<name>.tsv), in registry order
LABELSET_DATASETS: tuple[str, ...] = tuple(n for n, d in DATASETS.items() if d.has_labelset)
# the datasets of the published evaluation protocol
EVAL_DATASETS: tuple[str, ...] = tuple(n for n, d in DATASETS.items() if d.in_protocol)
# the protocol tasks of every dataset with a label set (a dataset outside the protocol: its own)
PROTOCOL_TASKS: dict[str, tuple[str, ...]] = {n: DATASETS[n].tasks for n in LABELSET_DATASETS}
# the six published test sets: (dataset, task, split-file stem), in the published order
PROTOCOL_SETS: tuple[tuple[str, str, str], ...] = tuple(
    (n, t, d.split_stems[t]) for n, d in DATASETS.items() for t in d.tasks if t in d.split_stems
)


def dataset(name: str) -> DatasetSpec:
    """The registry entry of ``name`` (KeyError if there is none: callers check membership)."""
    return DATASETS[name]


def default_task(name: str | None) -> str:
    """The task a command evaluates when none is given: PTB-XL ``super``, else ``default``."""
    return DATASETS[name].default_task if name in DATASETS else DEFAULT_TASK


def protocol_tasks(name: str | None) -> tuple[str, ...]:
    """A dataset's tasks in protocol order (``(default,)`` for one without a label set)."""
    spec = DATASETS.get(name) if name else None
    return spec.tasks if spec and spec.tasks else (DEFAULT_TASK,)


# The command lines' choices (typer needs an Enum class; tests/test_registry.py checks that
# each is exactly the registry's list, so a dataset added above without them fails a test).
class EvalDataset(StrEnum):
    """The datasets of the published evaluation protocol."""

    ptbxl = "ptbxl"
    cpsc2018 = "cpsc2018"
    csn = "csn"


class LabelsetDataset(StrEnum):
    """The datasets with a label set."""

    ptbxl = "ptbxl"
    cpsc2018 = "cpsc2018"
    csn = "csn"
    synthetic = "synthetic"


class AuditDataset(StrEnum):
    """What an audit checks a file against: one dataset's label set, or the six test sets."""

    ptbxl = "ptbxl"
    cpsc2018 = "cpsc2018"
    csn = "csn"
    synthetic = "synthetic"
    protocol = PROTOCOL


class EvalTask(StrEnum):
    """Dataset tasks (PTB-XL has four plus ``all``; the others one, ``default``)."""

    super = "super"
    sub = "sub"
    form = "form"
    rhythm = "rhythm"
    all = ALL_TASK
    default = DEFAULT_TASK


class LabelsetTask(StrEnum):
    """A PTB-XL task of a label set, ``all``, or ``protocol`` (the protocol tasks)."""

    super = "super"
    sub = "sub"
    form = "form"
    rhythm = "rhythm"
    all = ALL_TASK
    protocol = PROTOCOL
