"""Verification rules on a small terminology written by the test (pure logic)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ckepe.terminology import RF2Terminology
from ckepe.verify import (
    MAX_DESCRIPTION_WORDS,
    ClassVerifier,
    OtherLabel,
    audit_class,
    contradiction,
    parse_description,
)

OTHERS = {
    "RBBB": OtherLabel("RBBB", "right bundle branch block", ("59118001",)),
    "CRBBB": OtherLabel("CRBBB", "complete right bundle branch block", ("713427006",)),
    "IRBBB": OtherLabel("IRBBB", "incomplete right bundle branch block", ("713426002",)),
    "LBBB": OtherLabel("LBBB", "left bundle branch block", ("164909002",)),
    "AFIB": OtherLabel("AFIB", "atrial fibrillation", ("49436004",)),
}


@pytest.fixture()
def term(small_rf2: Path) -> RF2Terminology:
    return RF2Terminology(small_rf2, small_rf2 / "features.tsv")


def verifier(term: RF2Terminology, label: str, cid: str, name: str) -> ClassVerifier:
    return ClassVerifier(term, label, [cid], (name,), [o for k, o in OTHERS.items() if k != label])


@pytest.mark.parametrize(("text", "kind", "ok", "code"), [
    ("right bundle branch block", "name", True, None),
    ("RBBB", "synonym", True, None),
    ("complete right bundle branch block", "subtype", True, None),  # another label, but a
    ("incomplete right bundle-branch blocks", "subtype", True, None),  # true descendant
    ("rsr' pattern in v1", "feature", True, None),
    ("QRS duration >= 120 ms", "feature", True, None),  # linked to a descendant
    ("bundle branch block", "subtype", False, "not_descendant"),  # a parent
    ("absent p waves", "feature", False, "not_linked_feature"),
    ("atrial fibrillation", "feature", False, "other_label"),
    ("left bundle branch block", "subtype", False, "other_label"),
    ("rbbb with atrial fibrillation", "feature", False, "other_label"),
    ("giant flaming p waves", "feature", False, "unknown_term"),
    ("Here is the list you asked for", "feature", False, "chat_text"),
    ("Sure! wide qrs complex", "feature", False, "chat_text"),
    ("", "feature", False, "empty"),
    (" ".join(["wide"] * 20), "feature", False, "too_long"),
    ("ecg finding", "name", False, "wrong_concept"),
])
def test_single_phrase_rules(term: RF2Terminology, text: str, kind: str, ok: bool,
                             code: str | None) -> None:
    v = verifier(term, "RBBB", "59118001", "right bundle branch block").check(text, kind, "llm")
    assert (v.ok, v.code) == (ok, code), v.reason
    assert v.ok or v.reason


def test_own_longer_name_does_not_leak_a_shorter_label(term: RF2Terminology) -> None:
    v = verifier(term, "IRBBB", "713426002", "incomplete right bundle branch block")
    assert v.check("incomplete right bundle branch block", "name").ok
    bad = v.check("right bundle branch block", "synonym")
    assert bad.code == "other_label" and "RBBB" in bad.reason


def test_duplicates_and_contradictions(term: RF2Terminology) -> None:
    v = verifier(term, "AFIB", "49436004", "atrial fibrillation")
    acc, rej = v.check_all([
        ("atrial fibrillation", "name", "terminology"),
        ("irregularly irregular rhythm", "feature", "llm"),
        ("no p waves", "feature", "llm"),
        ("absent P waves", "feature", "llm"),        # same concept as "no p waves"
        ("Atrial fibrillation.", "synonym", "llm"),   # same text as the name
    ])
    assert [a.text for a in acc] == ["atrial fibrillation", "irregularly irregular rhythm",
                                     "no p waves"]
    assert [r.code for r in rej] == ["duplicate", "duplicate"]
    assert contradiction("regular rhythm", "irregularly irregular rhythm") == "rhythm regularity"
    assert contradiction("absent p waves", "normal P waves") == "p waves"
    assert contradiction("wide QRS complex", "narrow QRS") == "qrs width"
    assert contradiction("absent p waves", "irregular rhythm") is None


def test_parse_description_sections() -> None:
    got = parse_description("right bundle branch block, rbbb; subtypes: complete right bundle "
                            "branch block; ecg features: rsr' pattern in v1, wide qrs.")
    assert got == [("right bundle branch block", "name"), ("rbbb", "any"),
                   ("complete right bundle branch block", "subtype"),
                   ("rsr' pattern in v1", "feature"), ("wide qrs", "feature")]
    assert parse_description("AFIB: irregular rhythm, no p waves")[:2] == [
        ("AFIB", "name"), ("irregular rhythm", "any")]


def test_audit_class_reports_each_defect(term: RF2Terminology) -> None:
    desc = ("right bundle branch block; subtypes: bundle branch block, complete right bundle "
            "branch block; ecg features: rsr' pattern in v1, giant flaming p waves, atrial "
            "fibrillation, rsr' pattern in v1")
    found = audit_class(term, "RBBB", desc, ["59118001"], ["right bundle branch block"],
                        [o for k, o in OTHERS.items() if k != "RBBB"])
    assert sorted(f.code for f in found) == ["duplicate", "not_descendant", "other_label",
                                             "unknown_term"]
    long_desc = ", ".join(["right bundle branch block"] * MAX_DESCRIPTION_WORDS)
    codes = {f.code for f in audit_class(term, "RBBB", long_desc, ["59118001"], [], [])}
    assert "too_long" in codes
    chat = audit_class(term, "RBBB", "Sure! Here is a prompt: rbbb", ["59118001"], [], [])
    assert [f.code for f in chat] == ["chat_text"]
    assert [f.code for f in audit_class(term, "X", "rbbb", ["999"], [], [])] == [
        "unknown_concept", "wrong_concept"]
