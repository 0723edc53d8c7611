"""The feature rule shared by build and audit (ckepe.feature_rule.class_features)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ckepe.feature_rule import class_features, contradiction_table
from ckepe.labelsets import load_labelset
from ckepe.terminology import RF2Terminology, load_terminology

RSR, WIDE = "1000000011", "1000000010"


@pytest.fixture()
def term(small_rf2: Path) -> RF2Terminology:
    return RF2Terminology(small_rf2, small_rf2 / "features.tsv")


def test_descendant_feature_allowed_without_a_competing_label(term: RF2Terminology) -> None:
    got = class_features(term, ["59118001"], ["164909002", "49436004"])
    assert list(got.allowed) == [RSR, WIDE]  # own link first, then the descendant's
    assert got.own == {RSR} and not got.excluded


def test_feature_of_a_subtype_that_is_a_competing_label_is_removed(term: RF2Terminology) -> None:
    got = class_features(term, ["59118001"], ["713427006"])  # CRBBB is a label of the task
    assert RSR in got and WIDE not in got
    assert got.excluded == {WIDE: "713427006"}


def test_parent_competitor_is_not_a_rival(term: RF2Terminology) -> None:
    got = class_features(term, ["713427006"], ["59118001", "713426002"])
    assert list(got.allowed) == [WIDE] and got.own == {WIDE}


def test_own_link_survives_a_shared_competitor(term: RF2Terminology, tmp_path: Path) -> None:
    feats = (
        term.features_path.read_text() + "164909002\t1000000010\tqrs\tQRS >= 120 ms\tS1\n"
        "713427006\t1000000012\tp_wave\tborrowed\tS1\n"
    )
    path = tmp_path / "features.tsv"
    path.write_text(feats)
    rf2 = term.source.split(":", 1)[1]
    t2 = RF2Terminology(Path(rf2), path)
    lbbb = class_features(t2, ["164909002"], ["713427006"])
    assert WIDE in lbbb.own  # linked to LBBB itself: the class's own, although CRBBB has it
    rbbb = class_features(t2, ["59118001"], ["49436004", "713427006"])
    assert "1000000012" in rbbb.excluded and rbbb.excluded["1000000012"] == "49436004"


def test_unknown_concepts_are_ignored(term: RF2Terminology) -> None:
    assert class_features(term, ["999"], ["59118001"]).allowed == {}


@pytest.mark.usefixtures("bundled_knowledge")
def test_csn_mi_does_not_take_stdd_criterion() -> None:
    """Issue 11: CSN MI accepted STDD's horizontal/downsloping ST depression criterion."""
    term = load_terminology()
    rows = load_labelset("csn")
    mi = next(r for r in rows if r.label == "MI")
    others = [c for r in rows if r.label != "MI" for c in r.concept_ids]
    st_dep = term.find("horizontal or downsloping ST depression of 0.5 mm or more")
    assert st_dep
    got = class_features(term, mi.concept_ids, others)
    assert st_dep[0] not in got
    assert st_dep[0] in class_features(term, mi.concept_ids).allowed  # linked via a descendant
    # STDD's criterion (features.tsv also links it to CSN STE's concept: either is a rival)
    rivals = {c for r in rows if r.label in ("STDD", "STE") for c in r.concept_ids}
    assert got.excluded[st_dep[0]] in rivals


def test_rivals_and_covered_for_the_composer(term: RF2Terminology) -> None:
    got = class_features(term, ["59118001"], ["713427006", "49436004"])
    assert got.rivals[WIDE] == "713427006" and got.rivals["1000000012"] == "49436004"
    assert got.covered == {"713427006", "49436004"}


@pytest.mark.usefixtures("bundled_knowledge")
def test_only_defining_criteria_characterise_a_competitor() -> None:
    """CSN LBBB keeps "QRS 120 ms or more" (via complete LBBB) beside WPW and VEB, for whom
    it is only supporting; CSN MI loses STDD's defining ST depression (via a subtype)."""
    term = load_terminology()
    if not getattr(term, "has_defining", False):
        pytest.skip("knowledge base without the defining column (issue 15)")
    rows = {r.label: r for r in load_labelset("csn")}
    wide = term.find("QRS duration 120 ms or more")[0]
    wpw, veb = rows["WPW"].concept_ids, rows["VEB"].concept_ids
    got = class_features(term, rows["LBBB"].concept_ids, [*wpw, *veb])
    assert wide in got and wide not in got.own  # reached through complete LBBB only
    assert wide not in got.excluded and got.rivals[wide] in (*wpw, *veb)
    # VEB is defined by its late wide complex, which LBBB does not reach at all
    late = term.find("late wide QRS complex without preceding P wave")[0]
    assert late in class_features(term, veb).own and late not in got
    stdd = rows["STDD"].concept_ids
    mi = class_features(term, rows["MI"].concept_ids, stdd)
    taken = {f for f, k in mi.excluded.items() if k in stdd}
    assert taken, "STDD's defining ST depression should not be MI's"
    assert not taken & mi.own and not taken & set(mi.allowed)


def test_contradiction_table_rows_are_real_and_sourced(bundled_knowledge: Path) -> None:
    """Each row names two feature concepts of the extract by their FSN and cites SOURCES.md."""
    term = load_terminology()
    table = contradiction_table(term)
    sources = (bundled_knowledge / "SOURCES.md").read_text()
    lines = (bundled_knowledge / "contradictions.tsv").read_text().splitlines()[1:]
    assert len(table) == len(lines) >= 20
    for line in lines:
        a, term_a, b, term_b, topic, source = line.split("\t")
        assert term.name(a) == term_a.lower() and term.name(b) == term_b.lower(), line
        assert {a, b} <= term.feature_concepts() and topic
        assert f"**{source}**" in sources
        assert table.excludes(a, b) and table.excludes(b, a)


def test_label_set_exclusion_cuts_a_descendant_and_its_features(term: RF2Terminology) -> None:
    from ckepe.feature_rule import below_class

    assert "713427006" in below_class(term, ["59118001"])
    assert "713427006" not in below_class(term, ["59118001"], ["713427006"])
    got = class_features(term, ["59118001"], [], ["713427006"])  # CRBBB excluded below RBBB
    assert RSR in got and WIDE not in got and not got.excluded  # cut, not a competitor's
