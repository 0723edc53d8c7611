"""Verification rules on a small terminology written by the test (pure logic)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ckepe.terminology import RF2Terminology
from ckepe.verify import (
    ClassVerifier,
    OtherLabel,
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


@pytest.mark.parametrize(
    ("text", "kind", "ok", "code"),
    [
        ("right bundle branch block", "name", True, None),
        ("RBBB", "synonym", True, None),
        ("complete right bundle branch block", "subtype", True, None),  # another label, but a
        ("incomplete right bundle-branch blocks", "subtype", True, None),  # true descendant
        ("rsr' pattern in v1", "feature", True, None),
        ("rsR prime in V1", "feature", True, None),
        # linked to a descendant, but that descendant is the competing label CRBBB
        ("QRS duration >= 120 ms", "feature", False, "not_linked_feature"),
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
    ],
)
def test_single_phrase_rules(
    term: RF2Terminology, text: str, kind: str, ok: bool, code: str | None
) -> None:
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
    acc, rej = v.check_all(
        [
            ("atrial fibrillation", "name", "terminology"),
            ("irregularly irregular rhythm", "feature", "llm"),
            ("no p waves", "feature", "llm"),
            ("absent P waves", "feature", "llm"),  # same concept as "no p waves"
            ("Atrial fibrillation.", "synonym", "llm"),  # same text as the name
        ]
    )
    assert [a.text for a in acc] == [
        "atrial fibrillation",
        "irregularly irregular rhythm",
        "no p waves",
    ]
    assert [r.code for r in rej] == ["duplicate", "duplicate"]


def test_contradiction_from_the_knowledge_table(small_rf2: Path) -> None:
    """Exclusive features come from contradictions.tsv beside features.tsv, not from code."""
    (small_rf2 / "contradictions.tsv").write_text(
        "concept_id_a\tterm_a\tconcept_id_b\tterm_b\ttopic\tsource\n"
        "1000000012\tAbsent P waves\t1000000013\tIrregularly irregular rhythm\ttest\tS1\n"
    )
    term = RF2Terminology(small_rf2, small_rf2 / "features.tsv")
    v = verifier(term, "AFIB", "49436004", "atrial fibrillation")
    acc, rej = v.check_all(
        [("no p waves", "feature", "llm"), ("irregularly irregular rhythm", "feature", "llm")]
    )
    assert [a.text for a in acc] == ["no p waves"]
    assert [r.code for r in rej] == ["contradiction"] and "S1" in rej[0].reason


def test_parse_description_sections() -> None:
    got = parse_description(
        "right bundle branch block, rbbb; subtypes: complete right bundle "
        "branch block; ecg features: rsr' pattern in v1, wide qrs."
    )
    assert got == [
        ("right bundle branch block", "name"),
        ("rbbb", "any"),
        ("complete right bundle branch block", "subtype"),
        ("rsr' pattern in v1", "feature"),
        ("wide qrs", "feature"),
    ]
    assert parse_description("AFIB: irregular rhythm, no p waves")[:2] == [
        ("AFIB", "name"),
        ("irregular rhythm", "any"),
    ]
