"""Label-set tables: reading, task expansion, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from ckepe.labelsets import LabelSetError, load_labelset, tasks_of


def test_load_small_labelset(small_knowledge: Path) -> None:
    rows = load_labelset("csn")
    assert [r.label for r in rows] == ["RBBB", "IRBBB", "CRBBB", "LBBB", "AFIB"]
    assert rows[0].concept_ids == ("59118001",) and rows[0].mapping == "exact"
    assert load_labelset("csn", "default") == rows


def test_task_expansion_and_errors(small_knowledge: Path) -> None:
    assert tasks_of("ptbxl", None) == ("super", "sub", "form", "rhythm")
    assert tasks_of("ptbxl", "protocol") == tasks_of("ptbxl", None)
    assert tasks_of("ptbxl", "all") == ("all",)
    assert tasks_of("cpsc2018", None) == ("default",)
    with pytest.raises(LabelSetError, match="single task"):
        tasks_of("csn", "rhythm")
    with pytest.raises(LabelSetError, match="unknown dataset"):
        load_labelset("mitbih")
    with pytest.raises(LabelSetError, match="not found"):
        load_labelset("cpsc2018")  # the small knowledge folder has only csn
    bad = small_knowledge / "labelsets" / "csn.tsv"
    bad.write_text("task\tlabel\tconcept_ids\tname\tmapping\tnote\ndefault\tX\t\tx\texact\t\n")
    with pytest.raises(LabelSetError, match="csn.tsv:2: label 'X' has no concept_ids"):
        load_labelset("csn")
