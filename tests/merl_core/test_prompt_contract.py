"""One prompt-file contract: what ckepe writes, merl_core reads, with the same texts and version."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from ckepe.fileio import atomic_write_json
from ckepe.promptfile import (
    ClassEntry,
    Phrase,
    PromptSet,
    export_flat,
    prompt_file_version,
    read_prompt_set,
    read_prompt_version,
    write_prompt_set,
)
from merl_core.eval.prompts import PromptFileError, read_prompts

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


def _phrase(text: str, kind: str = "feature") -> Phrase:
    return Phrase(text=text, kind=kind, concept_id="1000000001", origin="terminology")


def _prompt_set() -> PromptSet:
    classes = [
        ClassEntry(label="NORM", tasks=["super", "sub"], name="normal ECG",
                   description="normal ecg", phrases=[_phrase("normal ECG", "name")]),
        ClassEntry(label="STTC", tasks=["super"], name="ST/T change",
                   description="st/t change, super", phrases=[_phrase("ST deviation")]),
        ClassEntry(label="STTC", tasks=["sub"], name="ST-T changes",
                   description="st/t change, sub", phrases=[_phrase("T inversion"),
                                                            _phrase("ST depression")]),
    ]  # fmt: skip
    return PromptSet(dataset="ptbxl", tasks=["sub", "super"], classes=classes)


def test_structured_file_written_by_ckepe_reads_the_same_in_merl_core(tmp_path: Path) -> None:
    path = write_prompt_set(_prompt_set(), tmp_path / "ptbxl.json")
    ps = read_prompt_set(path)
    table = read_prompts(path)
    assert not table.flat and table.dataset == "ptbxl"
    assert table.version == ps.prompt_set_version == ps.content_hash()
    assert table.stored_version == table.version
    labels = ["STTC", "NORM"]
    assert table.texts(labels, "description", "super") == [["st/t change, super"], ["normal ecg"]]
    assert table.texts(labels, "description", "sub") == [["st/t change, sub"], ["normal ecg"]]
    assert table.texts(["STTC"], "phrases", "sub") == [["T inversion", "ST depression"]]
    assert table.texts(["STTC"], "name", "sub") == [["ST-T changes"]]
    for task in ("super", "sub"):
        entries = [c for c in ps.classes if task in c.tasks]
        want = [[c.description] for c in entries]
        assert table.texts([c.label for c in entries], "description", task) == want


def test_flat_export_with_task_prefixed_keys_reads_back_per_task(tmp_path: Path) -> None:
    flat = export_flat(_prompt_set())
    assert "sub:STTC" in flat  # the second STTC is written with its task prefix
    path = atomic_write_json(tmp_path / "ptbxl_flat.json", flat)
    table = read_prompts(path)
    assert table.flat and table.stored_version is None
    assert table.version == prompt_file_version(flat) == read_prompt_version(path)[1].recomputed
    assert table.texts(["STTC"], "description", "sub") == [["st/t change, sub"]]
    assert table.texts(["STTC"], "description", "super") == [["st/t change, super"]]
    assert table.texts(["NORM"], "description", "sub") == [["normal ecg"]]
    with pytest.raises(PromptFileError, match="'MI'"):
        table.texts(["MI"], "description", "super")


def test_flat_list_of_texts_is_the_description_ckepe_audits(tmp_path: Path) -> None:
    path = atomic_write_json(tmp_path / "csn.json", {"AFIB": ["absent P waves", "irregular RR"],
                                                     "SR": "sinus rhythm"})  # fmt: skip
    ps = read_prompt_set(path)
    table = read_prompts(path)
    assert [c.description for c in ps.classes] == ["absent P waves, irregular RR", "sinus rhythm"]
    assert table.texts(["AFIB", "sr"]) == [["absent P waves, irregular RR"], ["sinus rhythm"]]
    assert table.texts(["AFIB"], "phrases") == [["absent P waves, irregular RR"]]
    assert table.version == read_prompt_version(path)[1].recomputed


def test_a_stored_version_that_does_not_match_is_recomputed_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_prompt_set(_prompt_set(), tmp_path / "ptbxl.json")
    doc = json.loads(path.read_text())
    stored = doc["prompt_set_version"]
    doc["classes"][0]["description"] = "edited by hand"
    atomic_write_json(path, doc)
    with caplog.at_level(logging.WARNING, logger="merl_core.eval.prompts"):
        table = read_prompts(path)
    assert table.stored_version == stored and table.version != stored
    assert table.version == read_prompt_set(path).content_hash()
    assert "does not match" in caplog.text and str(path) in caplog.text


@pytest.mark.parametrize("name", ["ptbxl", "cpsc2018", "csn", "synthetic"])
def test_committed_prompt_sets_keep_their_version(name: str) -> None:
    path = PROMPTS / f"{name}.json"
    stored = json.loads(path.read_text(encoding="utf-8"))["prompt_set_version"]
    table = read_prompts(path)
    assert table.version == stored == table.stored_version
    assert len(table.entries) >= 4


@pytest.mark.parametrize("content", ["not json", "[1, 2]", "{}", '{"A": 3}', '{"classes": 1}'])
def test_unreadable_prompt_files_name_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(PromptFileError, match="bad.json"):
        read_prompts(path)
