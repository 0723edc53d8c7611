"""Pure pieces of the audit: numeric criteria, canonical wording, splitting, prompt versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ckepe.criteria import parse_criteria
from ckepe.findings.pieces import split_pieces
from ckepe.grounding import canonical_words, polarity_clash
from ckepe.promptfile import (
    ClassEntry,
    PromptFileError,
    PromptSet,
    flat_version,
    prompt_file_version,
    read_prompt_version,
    write_prompt_set,
)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("QRS duration of 120 ms or more", ["qrs >= 120 ms"]),
        ("QRS ≥ 120 msec in V1-V3", ["qrs >= 120 ms"]),
        ("heart rate below 60 beats per minute", ["heart_rate <= 60 /min"]),
        ("HR < 60 bpm", ["heart_rate <= 60 /min"]),
        ("Heart rate 60 to 100 per minute", ["heart_rate 60-100 /min"]),
        ("PR above 0.20 s", ["pr >= 200 ms"]),
        ("corrected QT interval of 450 ms or more", ["qtc >= 450 ms"]),
        ("ST depression >= 0.05 mV", ["st_depression >= 0.5 mm"]),
        ("frontal QRS axis more negative than -30 degrees", ["axis <= -30 deg"]),
        ("QRS amplitude 0.5 mV or less in every limb lead", ["qrs_amplitude_limb <= 5 mm"]),
        ("delta wave", []),
        ("R wave peak time above 60 ms in V5 and V6", ["r_peak_time >= 60 ms"]),
    ],
)
def test_parse_criteria(text: str, want: list[str]) -> None:
    assert [str(c) for c in parse_criteria(text)] == want


def test_criteria_compare_as_numbers() -> None:
    (a,) = parse_criteria("PR interval longer than 200 ms")
    (b,) = parse_criteria("PR > 0.2 seconds")
    (c,) = parse_criteria("PR interval shorter than 120 ms")
    (d,) = parse_criteria("PR interval over 300 ms")
    assert a.agrees(b) and not a.agrees(d) and a.opposes(c) and not a.opposes(d)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("pathological Q waves in II, III and aVF", "Q waves in the inferior leads pathological"),
        ("broad QRS complexes", "wide QRS"),
        ("rSR' pattern in V1-V2", "RSR prime in V1 and V2"),
        ("T-wave inversion", "inverted T waves"),
        ("no P waves", "absence of P waves"),
        ("ischaemic ST depression (horizontal)", "horizontal ischemic ST-segment depression"),
        ("saw-tooth flutter waves", "sawtooth flutter waves"),
        ("right atrial dilatation", "right atrial enlargement"),
    ],
)
def test_canonical_words_absorb_wording(a: str, b: str) -> None:
    assert canonical_words(a) == canonical_words(b)


def test_polarity_words_block_similarity() -> None:
    assert polarity_clash(canonical_words("P waves present"), canonical_words("absent P waves"))
    assert polarity_clash(canonical_words("regular rhythm"), canonical_words("irregular rhythm"))
    assert polarity_clash(canonical_words("wide QRS"), canonical_words("wide QRS")) is None


def test_split_pieces_keeps_lead_lists_and_never_assumes_a_name() -> None:
    got = split_pieces(
        "Inferior MI: pathological Q waves in II, III and aVF, inverted P, QRS "
        "and T waves in lead I; subtypes: inferoposterior MI. Characterized by "
        "ST elevation"
    )
    assert got == [
        ("Inferior MI", "any"),
        ("pathological Q waves in II, III and aVF", "any"),
        ("inverted P, QRS and T waves in lead I", "any"),
        ("inferoposterior MI", "subtype"),
        ("ST elevation", "any"),
    ]
    assert split_pieces("absent P waves") == [("absent P waves", "any")]
    joined = split_pieces(
        "abnormal QRS duration, amplitude or morphology",
        lambda t: t == "abnormal QRS duration, amplitude or morphology",
    )
    assert joined == [("abnormal QRS duration, amplitude or morphology", "any")]


def _ps() -> PromptSet:
    return PromptSet(
        dataset="csn",
        tasks=["default"],
        classes=[
            ClassEntry(
                label="SR",
                concept_ids=["426783006"],
                name="sinus rhythm",
                description="sinus rhythm",
            )
        ],
    )


def test_prompt_versions_are_recomputed(tmp_path: Path) -> None:
    path = write_prompt_set(_ps(), tmp_path / "csn.json")
    ps, v = read_prompt_version(path)
    assert not v.mismatch and v.recorded == v.recomputed == prompt_file_version(ps)
    data = json.loads(path.read_text())
    data["classes"][0]["description"] = "sinus rhythm, edited by hand"
    path.write_text(json.dumps(data))
    _, v = read_prompt_version(path)
    assert v.mismatch and v.recorded != v.recomputed and v.format == "structured"
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"SR": "sinus rhythm"}))
    mapping, v = read_prompt_version(flat)
    assert v.format == "flat" and v.recorded is None and not v.mismatch
    assert v.recomputed == flat_version(mapping) == prompt_file_version({"SR": "sinus rhythm"})
    assert flat_version({"SR": "sinus rhythm."}) != v.recomputed
    flat.write_text("{}")
    with pytest.raises(PromptFileError, match="no labels"):
        read_prompt_version(flat)
