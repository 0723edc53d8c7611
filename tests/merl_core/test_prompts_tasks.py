"""A label that two tasks share with different meanings resolves per task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from merl_core.eval.prompts import PromptFileError, read_prompts


def _write(tmp_path: Path, obj: object) -> Path:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(obj))
    return path


def test_same_label_in_two_tasks_resolves_per_task(tmp_path: Path) -> None:
    classes = [
        {"label": "STTC", "tasks": ["super"], "name": "st/t change", "description": "super text"},
        {"label": "STTC", "tasks": ["sub"], "name": "st/t change", "description": "sub text"},
        {"label": "NORM", "tasks": ["super", "sub"], "name": "normal", "description": "norm"},
    ]
    table = read_prompts(_write(tmp_path, {"dataset": "ptbxl", "classes": classes}))
    assert table.texts(["STTC", "NORM"], "description", "super") == [["super text"], ["norm"]]
    assert table.texts(["STTC", "NORM"], "description", "sub") == [["sub text"], ["norm"]]


def test_flat_task_prefixed_key(tmp_path: Path) -> None:
    table = read_prompts(_write(tmp_path, {"STTC": "super text", "sub:STTC": "sub text"}))
    assert table.texts(["STTC"], "description", "sub") == [["sub text"]]
    assert table.texts(["STTC"], "description", "super") == [["super text"]]
    with pytest.raises(PromptFileError, match="'MI'"):
        table.texts(["MI"], "description", "super")


def test_committed_ptbxl_prompts_differ_between_super_and_sub_sttc() -> None:
    path = Path(__file__).resolve().parents[2] / "prompts" / "ptbxl.json"
    table = read_prompts(path)
    sup = table.texts(["STTC"], "description", "super")[0][0]
    sub = table.texts(["STTC"], "description", "sub")[0][0]
    assert sup != sub
