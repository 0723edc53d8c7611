"""`ckepe audit`: each finding, on files the tests write, against the bundled knowledge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ckepe.build import build_prompt_set
from ckepe.cli import app
from ckepe.promptfile import write_prompt_set
from ckepe.terminology import load_terminology

pytestmark = pytest.mark.usefixtures("bundled_knowledge")
runner = CliRunner()


@pytest.fixture(scope="module")
def cpsc_file(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A CPSC2018 prompt set built from the bundled knowledge (terminology only), as JSON."""
    ps = build_prompt_set(load_terminology(), "cpsc2018").prompt_set
    path = tmp_path_factory.mktemp("cpsc") / "cpsc2018.json"
    write_prompt_set(ps, path)
    return json.loads(path.read_text())


def _audit(path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    report = path.with_suffix(".audit.json")
    res = runner.invoke(
        app,
        [
            "audit",
            "--hallucination-check",
            str(path),
            "--no-similarity",
            "--json",
            str(report),
            *args,
        ],
    )
    data = json.loads(report.read_text()) if report.exists() else {}
    return res.exit_code, data, res.output


def _codes(
    data: dict[str, Any], verdicts: tuple[str, ...] = ("contradicted", "structural")
) -> set[tuple[str, str]]:
    return {(f["label"], f["code"]) for f in data["findings"] if f["verdict"] in verdicts}


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, indent=1))
    return path


def test_built_file_audits_clean_with_markdown(cpsc_file: dict, tmp_path: Path) -> None:
    path = _write(tmp_path, "cpsc2018.json", cpsc_file)
    md = tmp_path / "report.md"
    code, data, out = _audit(path, "--markdown", str(md))
    assert code == 0, data["findings"]
    assert data["counts"]["verified"] > 20 and "verified" in out
    assert md.read_text().startswith("# Audit of")


def test_tampered_entry_cannot_borrow_another_class(cpsc_file: dict, tmp_path: Path) -> None:
    """RBBB's entry carrying atrial fibrillation's ids, name, phrases and text fails."""
    data = json.loads(json.dumps(cpsc_file))
    by = {c["label"]: c for c in data["classes"]}
    afib, rbbb = by["AFIB"], by["CRBBB"]
    for k in ("concept_ids", "name", "description", "phrases"):
        rbbb[k] = afib[k]
    code, rep, _ = _audit(_write(tmp_path, "cpsc2018.json", data))
    assert code == 1
    got = _codes(rep)
    assert ("CRBBB", "concept_mismatch") in got
    assert ("CRBBB", "other_label") in got
    mismatch = [f for f in rep["findings"] if f["code"] == "concept_mismatch"]
    assert {f["where"] for f in mismatch} == {"concept_ids", "name"}


def test_invented_class_name_is_a_concept_mismatch(cpsc_file: dict, tmp_path: Path) -> None:
    data = json.loads(json.dumps(cpsc_file))
    data["classes"][0]["name"] = "hyperacute Brugada-Wenckebach dissociation"
    code, rep, _ = _audit(_write(tmp_path, "cpsc2018.json", data))
    assert code == 1 and (data["classes"][0]["label"], "concept_mismatch") in _codes(rep)


def test_stale_version_and_phrase_ids_are_recomputed(cpsc_file: dict, tmp_path: Path) -> None:
    data = json.loads(json.dumps(cpsc_file))
    entry = next(c for c in data["classes"] if c["label"] == "1AVB")
    feat = next(p for p in entry["phrases"] if p["kind"] == "feature")
    feat["concept_id"] = "164889003"  # atrial fibrillation's id on a PR-interval phrase
    code, rep, _ = _audit(_write(tmp_path, "cpsc2018.json", data))
    assert code == 1
    assert ("", "stale_version") in _codes(rep)
    assert ("1AVB", "phrase_mismatch") in _codes(rep)


def test_empty_and_partial_files(cpsc_file: dict, tmp_path: Path) -> None:
    empty = dict(cpsc_file, classes=[])
    code, rep, _ = _audit(_write(tmp_path, "cpsc2018.json", empty))
    assert code == 1 and ("", "empty_file") in _codes(rep)
    code, rep, _ = _audit(_write(tmp_path, "flat_cpsc.json", {}), "--dataset", "cpsc2018")
    assert code == 1 and ("", "empty_file") in _codes(rep)
    flat = {c["label"]: c["description"] for c in cpsc_file["classes"][:3]}
    path = _write(tmp_path, "icbeb_subset.json", flat)
    code, rep, _ = _audit(path)
    missing = {lab for lab, c in _codes(rep) if c == "missing_class"}
    assert code == 1 and len(missing) == 6 and not missing & set(flat)
    code, rep, _ = _audit(path, "--partial")
    assert code == 0, rep["findings"]


@pytest.mark.parametrize(
    ("dataset", "label", "text", "code"),
    [
        # a sibling's feature: STDD's criterion in CSN MI (issue 11)
        (
            "csn",
            "MI",
            "myocardial infarction: horizontal or downsloping ST depression of 0.5 mm or more",
            "competitor_feature",
        ),
        # an altered threshold, compared as numbers
        (
            "cpsc2018",
            "1AVB",
            "first degree AV block: PR interval longer than 300 msec",
            "numeric_mismatch",
        ),
        # a rhythm described with its opposite
        ("cpsc2018", "AFIB", "atrial fibrillation: regular RR intervals", "excludes_class_feature"),
        # an invented subtype
        (
            "csn",
            "AFIB",
            "atrial fibrillation; subtypes: type 7 Lown atrial fibrillation",
            "invented_name",
        ),
        # another label's name (CSN AF is atrial flutter)
        ("csn", "AFIB", "atrial fibrillation, atrial flutter", "other_label"),
        # chat text pasted as a prompt
        (
            "csn",
            "SR",
            "Sure! Here is a prompt for sinus rhythm. Let me know if it helps.",
            "chat_text",
        ),
    ],
)
def test_contradicted_phrases(
    tmp_path: Path, dataset: str, label: str, text: str, code: str
) -> None:
    path = _write(tmp_path, f"{dataset}_one.json", {label: text})
    rc, rep, _ = _audit(path, "--dataset", dataset, "--partial")
    assert rc == 1
    assert _codes(rep) == {(label, code)}, rep["findings"]


def test_wording_variants_are_verified(tmp_path: Path) -> None:
    """Issue 11's false alarms: clinical wording of true criteria, flat pieces on their own."""
    flat = {
        "SBRAD": "heart rate below 60 beats per minute",
        "CLBBB": "QRS duration of 120 ms or more, broad notched R wave in lateral leads",
        "AFIB": "absent P waves",
        "AMI": "pathological Q waves in V3-V4",
        "RAO/RAE": "right atrial overload, right atrial enlargement",
    }
    rc, rep, _ = _audit(_write(tmp_path, "ptbxl_variants.json", flat), "--partial")
    assert rc == 0, rep["findings"]
    assert rep["counts"]["verified"] == 7 and rep["counts"]["unverifiable"] == 0


def test_unverifiable_passes_unless_strict(tmp_path: Path) -> None:
    path = _write(tmp_path, "csn_u.json", {"SR": "sinus rhythm, giant flaming P waves"})
    rc, rep, _ = _audit(path, "--partial")
    assert rc == 0 and rep["counts"]["unverifiable"] == 1
    assert rep["findings"][0]["verdict"] == "unverifiable"
    rc, _, _ = _audit(path, "--partial", "--strict")
    assert rc == 1


def test_unreadable_or_unknown_input_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "cpsc2018.json"
    bad.write_text('{"classes": [')
    rc, _, out = _audit(bad)
    assert rc == 2 and str(bad) in out and "Traceback" not in out
    rc, _, out = _audit(_write(tmp_path, "mystery.json", {"XYZ": "abc"}))
    assert rc == 2 and "--dataset" in out
