"""The prompt-file contract: round trip, content hash, atomic write, flat format, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ckepe.labelsets import LabelEntry
from ckepe.promptfile import (
    ClassEntry,
    Phrase,
    PromptFileError,
    PromptSet,
    export_flat,
    import_flat,
    read_prompt_set,
    write_prompt_set,
)


def _ps(
    desc: str = "atrial fibrillation; ecg features: absent p waves",
    created: str = "2025-01-01T00:00:00+00:00",
) -> PromptSet:
    phrases = [
        Phrase(
            text="atrial fibrillation", kind="name", concept_id="49436004", origin="terminology"
        ),
        Phrase(text="absent p waves", kind="feature", concept_id="1000000012", origin="llm"),
    ]
    cls = [
        ClassEntry(
            label="AFIB",
            tasks=["default"],
            concept_ids=["49436004"],
            name="atrial fibrillation",
            description=desc,
            phrases=phrases,
        ),
        ClassEntry(
            label="LBBB",
            tasks=["default"],
            concept_ids=["164909002"],
            name="left bundle branch block",
            description="left bundle branch block",
        ),
    ]
    return PromptSet(dataset="csn", tasks=["default"], classes=cls, created_at=created)


def test_round_trip_and_version(tmp_path: Path) -> None:
    path = write_prompt_set(_ps(), tmp_path / "csn.json")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's private 0600
    back = read_prompt_set(path)
    assert back.prompt_set_version == _ps().content_hash() != ""
    assert back.classes[0].phrases[1].origin == "llm"
    assert back.model_dump() == read_prompt_set(write_prompt_set(back, path)).model_dump()


def test_version_ignores_created_at_but_not_content() -> None:
    a = _ps(created="2025-01-01T00:00:00+00:00").with_version()
    b = _ps(created="2030-06-06T12:00:00+00:00").with_version()
    c = _ps(desc="atrial fibrillation").with_version()
    assert a.prompt_set_version == b.prompt_set_version
    assert a.prompt_set_version != c.prompt_set_version


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_prompt_set(_ps(), tmp_path / "csn.json")
    good = path.read_bytes()

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_prompt_set(_ps(desc="changed"), path)
    monkeypatch.undo()
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["csn.json"]  # no temp file left
    bad = _ps().model_copy()
    bad.classes[0].phrases[0].kind = "opinion"  # type: ignore[assignment]  # invalid on purpose
    with pytest.raises(PromptFileError, match="invalid prompt set"):
        write_prompt_set(bad, path)
    assert path.read_bytes() == good


def test_flat_export_import(tmp_path: Path) -> None:
    ps = _ps()
    flat = export_flat(ps)
    assert flat == {"AFIB": ps.classes[0].description, "LBBB": "left bundle branch block"}
    labels = [LabelEntry("AFIB", "default", ("49436004",), "atrial fibrillation", "exact")]
    back = import_flat(flat, "csn", labels)
    assert back.classes[0].concept_ids == ["49436004"] and back.classes[0].tasks == ["default"]
    assert back.classes[1].concept_ids == []  # LBBB not in the given labels
    assert back.generator.tool == "flat-import"
    f = tmp_path / "chapman_prompts.json"
    f.write_text(json.dumps({"AFIB": ["atrial fibrillation", "absent p waves"]}))
    ps2 = read_prompt_set(f)
    assert ps2.dataset == "csn" and ps2.classes[0].description == (
        "atrial fibrillation, absent p waves"
    )


def test_duplicate_labels_get_task_scoped_flat_keys() -> None:
    a = ClassEntry(label="STTC", tasks=["super"], name="st/t change", description="x")
    b = ClassEntry(label="STTC", tasks=["sub"], name="st/t change", description="y")
    ps = PromptSet(dataset="ptbxl", classes=[a, b])
    flat = export_flat(ps)
    assert flat == {"STTC": "x", "sub:STTC": "y"}
    rows = [
        LabelEntry("STTC", "super", ("1",), "st/t change", "group"),
        LabelEntry("STTC", "sub", ("2",), "st/t change", "group"),
    ]
    back = import_flat(flat, "ptbxl", rows)
    assert back.classes[1].tasks == ["sub"] and back.classes[1].concept_ids == ["2"]


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ('{"schema_version": "1.0", "dataset": "csn", "classes": [{"label": "A', "truncated"),
        ("", "empty file"),
        ('{"dataset": "csn", "classes": [{"label": "A"}]}', "not a valid prompt file"),
        ("[1, 2]", "not a prompt file"),
    ],
)
def test_unreadable_files_name_file_and_problem(tmp_path: Path, content: str, match: str) -> None:
    f = tmp_path / "bad.json"
    f.write_text(content)
    with pytest.raises(PromptFileError, match=match) as exc:
        read_prompt_set(f)
    assert str(f) in str(exc.value) and "\n" not in str(exc.value)
