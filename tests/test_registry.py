"""The dataset registry (ckepe.registry) against independent references: the label-set
tables in knowledge/, the published split files in merl-splits/, and the code that must name
no dataset outside it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ckepe import registry
from ckepe.labelsets import labelset_path, tasks_of
from ckepe.promptfile import guess_dataset
from ckepe.registry import (
    DATASETS,
    EVAL_DATASETS,
    LABELSET_DATASETS,
    PROTOCOL_SETS,
    AuditDataset,
    EvalDataset,
    EvalTask,
    LabelsetDataset,
    LabelsetTask,
)
from tests.source_strings import string_constants

ROOT = Path(__file__).resolve().parents[1]


def test_the_command_line_choices_are_the_registry() -> None:
    assert [d.value for d in EvalDataset] == list(EVAL_DATASETS)
    assert [d.value for d in LabelsetDataset] == list(LABELSET_DATASETS)
    assert [d.value for d in AuditDataset] == [*LABELSET_DATASETS, registry.PROTOCOL]
    tasks = {t for n in LABELSET_DATASETS for t in (*DATASETS[n].tasks, *DATASETS[n].extra_tasks)}
    assert {t.value for t in EvalTask} == tasks
    ptbxl = DATASETS["ptbxl"]
    assert [t.value for t in LabelsetTask] == [*ptbxl.tasks, *ptbxl.extra_tasks, registry.PROTOCOL]


def test_the_protocol_is_six_published_test_sets() -> None:
    assert [(d, t) for d, t, _ in PROTOCOL_SETS] == [
        ("ptbxl", "super"), ("ptbxl", "sub"), ("ptbxl", "form"), ("ptbxl", "rhythm"),
        ("cpsc2018", "default"), ("csn", "default"),
    ]  # fmt: skip
    assert EVAL_DATASETS == ("ptbxl", "cpsc2018", "csn")


@pytest.mark.parametrize("dataset", LABELSET_DATASETS)
def test_tasks_are_those_of_the_label_set_table(dataset: str) -> None:
    with labelset_path(dataset).open(newline="", encoding="utf-8") as fh:
        in_table = {row["task"] for row in csv.DictReader(fh, delimiter="\t")}
    spec = DATASETS[dataset]
    assert in_table == {*spec.tasks, *spec.extra_tasks}
    assert tasks_of(dataset, None) == spec.tasks


def test_split_stems_name_the_published_files(splits_root: Path) -> None:
    for _, _, stem in PROTOCOL_SETS:
        for part in ("train", "val", "test"):
            assert (splits_root / f"{stem}_{part}.csv").is_file(), f"{stem}_{part}.csv"


def test_defaults_and_file_hints() -> None:
    assert registry.default_task("ptbxl") == "super"
    assert registry.default_task("csn") == registry.default_task(None) == "default"
    assert registry.protocol_tasks("ptbxl") == ("super", "sub", "form", "rhythm")
    assert registry.protocol_tasks("mimic") == ("default",)
    assert guess_dataset(Path("icbeb_prompts.json")) == "cpsc2018"
    assert guess_dataset(Path("my_chapman.json")) == "csn"
    assert guess_dataset(Path("ptbxl_en.json")) == "ptbxl"
    assert guess_dataset(Path("prompts.json")) is None
    assert DATASETS["ptb"].fs == 1000 and DATASETS["challenge"].fs is None


# Library modules that may write a dataset's name: the readers of their own dataset, the
# demo (synthetic), the evaluation command's one option per protocol dataset, and PTB-XL's
# task-specific audit of the statements outside a scoped task.
NAME_ALLOWED: dict[str, set[str]] = {
    "merl_core/data/challenge.py": {"cpsc2018", "cpsc-extra", "csn", "georgia", "ningbo",
                                    "ptbxl-challenge", "ptb", "challenge"},
    "merl_core/data/datasets.py": {"synthetic", "ptbxl", "mimic"},
    "merl_core/data/ptbxl.py": {"ptbxl"},
    "merl_core/data/mimic.py": {"mimic"},
    "merl_core/data/synthetic.py": {"synthetic"},
    "merl_core/data/quality.py": {"ptbxl"},
    "merl_core/data/splits.py": {"ptbxl", "csn", "cpsc2018"},
    "merl_core/cli/demo.py": {"synthetic"},
    "merl_core/cli/eval.py": {"ptbxl", "cpsc2018", "csn"},
    "ckepe/audit/run.py": {"ptbxl"},
    "ckepe/cli.py": {"ptbxl"},
}  # fmt: skip


def dataset_names_in(source: str) -> set[str]:
    """The dataset names written as string constants (docstrings aside)."""
    return {n.value for n in string_constants(source) if n.value in DATASETS}


def test_no_dataset_name_outside_the_registry() -> None:
    found = {}
    for p in sorted([*ROOT.glob("ckepe/**/*.py"), *ROOT.glob("merl_core/**/*.py")]):
        rel = p.relative_to(ROOT).as_posix()
        if rel == "ckepe/registry.py":
            continue
        extra = dataset_names_in(p.read_text("utf-8")) - NAME_ALLOWED.get(rel, set())
        if extra:
            found[rel] = extra
    assert found == {}
    # the check can fail: a protocol tuple written again is found
    assert dataset_names_in('PROTOCOL = (("ptbxl", "super"), ("csn", "default"))') == {
        "ptbxl",
        "csn",
    }
