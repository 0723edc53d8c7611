"""The composition rule on the bundled knowledge base and the committed prompt sets.

Expected criteria are read from ``knowledge/features.tsv`` and the label sets with the csv
module, not through the code under test: a label's defining criteria are the rows of its
concepts with ``defining = 1``.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import pytest

from ckepe.build import BuildError, Proposal, RawClaim, build_prompt_set, compose, fit_to_length
from ckepe.promptfile import Phrase
from ckepe.terminology import knowledge_dir, load_terminology
from ckepe.verify import MAX_DESCRIPTION_WORDS

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = {"ptbxl": 59, "cpsc2018": 9, "csn": 38}  # 106 classes
F_RVR, F_BIGEMINY = "Rapid ventricular response", "Every second beat premature"


@lru_cache(maxsize=1)
def _kb() -> tuple[dict[str, list[dict[str, str]]], dict[str, set[str]]]:
    """features.tsv rows per class concept, and is-a children per concept."""
    kd = knowledge_dir()
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    with (kd / "features.tsv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows[r["class_concept_id"]].append(r)
    children: dict[str, set[str]] = defaultdict(set)
    rel = next((kd / "terminology").glob("sct2_Relationship_Snapshot*.txt"))
    with rel.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if r["active"] == "1" and r["typeId"] == "116680003":
                children[r["destinationId"]].add(r["sourceId"])
    return dict(rows), dict(children)


def _labels(dataset: str) -> list[dict[str, str]]:
    path = knowledge_dir() / "labelsets" / f"{dataset}.tsv"
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [r for r in rows if dataset != "ptbxl" or r["task"] != "all"]


def _defining(concepts: list[str]) -> set[str]:
    rows, _ = _kb()
    return {
        r["feature_concept_id"] for c in concepts for r in rows.get(c, []) if r["defining"] == "1"
    }


def _own(concepts: list[str]) -> set[str]:
    rows, _ = _kb()
    return {r["feature_concept_id"] for c in concepts for r in rows.get(c, [])}


def _subtree_features(concepts: list[str]) -> set[str]:
    rows, children = _kb()
    todo, seen = list(concepts), set()
    while todo:
        c = todo.pop()
        if c not in seen:
            seen.add(c)
            todo.extend(children.get(c, ()))
    return {r["feature_concept_id"] for c in seen for r in rows.get(c, [])}


def _check_prompt_set(dataset: str, classes: list[dict]) -> int:
    """Every class: defining criteria present and first; only its own concepts' features.

    Returns the number of (task, label) classes checked.
    """
    labels = _labels(dataset)
    checked = 0
    for c in classes:
        mine = [r for r in labels if r["label"] == c["label"] and r["task"] in c["tasks"]]
        assert mine, c["label"]
        concepts = mine[0]["concept_ids"].split(";")
        defining = _defining(concepts)
        assert defining, f"{dataset}/{c['label']}: no defining criterion in features.tsv"
        feats = [p for p in c["phrases"] if p["kind"] == "feature"]
        ids = [p["concept_id"] for p in feats]
        assert defining <= set(ids), f"{dataset}/{c['label']}: missing {defining - set(ids)}"
        assert all(p["text"] in c["description"] for p in feats)  # rendered verbatim
        # defining criteria come before any supporting feature
        first_other = next((i for i, f in enumerate(ids) if f not in defining), len(ids))
        assert set(ids[:first_other]) == defining, f"{dataset}/{c['label']}: order {ids}"
        assert c["phrases"][0]["kind"] == "name", f"{dataset}/{c['label']}: name rejected"
        assert c["description"].startswith(c["phrases"][0]["text"])
        # a feature is one of the label's own concepts' links (never a subtype's only) ...
        assert set(ids) <= _own(concepts), f"{dataset}/{c['label']}: {set(ids) - _own(concepts)}"
        # ... so never one linked only to a competing label of its task
        rivals = [r for r in labels if r["task"] in c["tasks"] and r["label"] != c["label"]]
        for f in set(ids) - _subtree_features(concepts):
            assert not any(f in _subtree_features(r["concept_ids"].split(";")) for r in rivals)
        checked += len(c["tasks"])  # NORM (super, sub), NST (sub, form) are merged
    return checked


@pytest.mark.parametrize("dataset", sorted(PROTOCOL))
def test_committed_prompt_sets_state_every_defining_criterion(dataset: str) -> None:
    data = json.loads((ROOT / "prompts" / f"{dataset}.json").read_text(encoding="utf-8"))
    assert _check_prompt_set(dataset, data["classes"]) == PROTOCOL[dataset]


@pytest.fixture(scope="module")
def built() -> dict[str, dict[str, dict]]:
    """Terminology-only builds of the three protocol datasets (label -> class dict)."""
    term = load_terminology()
    out = {}
    for ds in PROTOCOL:
        ps = build_prompt_set(term, ds).prompt_set
        out[ds] = {f"{'+'.join(c.tasks)}/{c.label}": c.model_dump() for c in ps.classes}
    return out


def test_fresh_builds_state_every_defining_criterion(built: dict) -> None:
    total = sum(_check_prompt_set(ds, list(cls.values())) for ds, cls in built.items())
    assert total == sum(PROTOCOL.values()) == 106


def _feature_ids(cls: dict) -> set[str]:
    return {p["concept_id"] for p in cls["phrases"] if p["kind"] == "feature"}


def _id_of(name: str) -> str:
    term = load_terminology()
    hits = [c for c in term.concept_ids() if term.fsn(c).startswith(name)]
    assert len(hits) == 1, (name, hits)
    return hits[0]


def test_af_with_rapid_ventricular_response_is_a_subtype_not_a_feature(built: dict) -> None:
    afib = built["cpsc2018"]["default/AFIB"]
    assert "atrial fibrillation with rapid ventricular response" in afib["description"]
    assert _id_of(F_RVR) not in _feature_ids(afib)
    assert "above 100" not in afib["description"]
    assert (
        afib["description"]
        .lower()
        .startswith(
            "atrial fibrillation, auricular fibrillation; ecg features: absent p waves, "
            "irregularly irregular rr intervals"
        )
    )


def test_pac_does_not_borrow_bigeminy(built: dict) -> None:
    bigeminy = _id_of(F_BIGEMINY)
    for key in ("form/PAC",):
        assert bigeminy not in _feature_ids(built["ptbxl"][key])
    pac = built["cpsc2018"]["default/PAC"]
    assert bigeminy not in _feature_ids(pac) and "every second beat" not in pac["description"]
    assert "premature p wave with different morphology" in pac["description"].lower()
    assert bigeminy in _feature_ids(built["ptbxl"]["rhythm/BIGU"])


def test_csn_st_parent_says_what_distinguishes_it(built: dict) -> None:
    csn = built["csn"]
    ste, stdd, sttu = csn["default/STE"], csn["default/STDD"], csn["default/STTU"]
    ste_d, stdd_d, sttu_d = (x["description"].lower() for x in (ste, stdd, sttu))
    assert "abnormal st segment contour or duration" in ste_d
    assert not _feature_ids(ste) & (_feature_ids(stdd) | _feature_ids(sttu))
    subtypes = {p["text"].lower() for p in ste["phrases"] if p["kind"] == "subtype"}
    assert not subtypes & {"st segment depression", "st segment elevation"}
    assert "depression" not in ste_d and "elevation" not in ste_d
    assert "st depression" in stdd_d and "st elevation" in sttu_d


def test_crbbb_and_irbbb_differ_by_their_criteria(built: dict) -> None:
    sub = built["ptbxl"]
    crbbb, irbbb = sub["sub/CRBBB"]["description"], sub["sub/IRBBB"]["description"]
    assert crbbb != irbbb
    assert "QRS duration 120 ms or more" in crbbb
    assert "QRS duration 110 to 119 ms" in irbbb
    assert "rsR' or rSR' pattern in V1 or V2" in crbbb  # case kept: rsR' vs rSR'
    assert "rsr' or rSr' pattern in V1 or V2" in irbbb or "rsR' or rSR' pattern" in irbbb
    assert "110 to 119" not in crbbb
    assert "wide S wave" not in irbbb  # CRBBB's own defining criterion


def test_sinus_classes_state_rate_and_sinus_p_wave(built: dict) -> None:
    rhythm = built["ptbxl"]
    for label, rate in (
        ("SR", "heart rate 60 to 100"),
        ("STACH", "heart rate above 100"),
        ("SBRAD", "heart rate below 60"),
    ):
        d = rhythm[f"rhythm/{label}"]["description"].lower()
        assert rate in d and "sinus p wave before every qrs complex" in d, d
    sarr = rhythm["rhythm/SARRH"]["description"].lower()
    assert "phasic variation of the pp interval" in sarr and "60 to 100" not in sarr


def _script(claims: dict[str, list[RawClaim]]):  # type: ignore[no-untyped-def]
    def propose(ctx):  # type: ignore[no-untyped-def]
        return Proposal(claims=claims.get(ctx.label, []), raw_text="scripted")

    return propose


def test_llm_claims_obey_the_rule(built: dict) -> None:
    term = load_terminology()
    cpsc = build_prompt_set(
        term,
        "cpsc2018",
        None,
        _script(
            {
                "AFIB": [
                    RawClaim("rapid ventricular response above 100 per minute", "feature"),
                    RawClaim(
                        "irregularly irregular rhythm", "feature"
                    ),  # restates a defining criterion
                    RawClaim("fibrillatory f waves", "feature"),
                ]
            }
        ),
    ).prompt_set
    afib = next(c for c in cpsc.classes if c.label == "AFIB")
    assert {r.text: r.code for r in afib.rejected} == {
        "rapid ventricular response above 100 per minute": "subtype_feature"
    }
    assert not afib.fallback and "fibrillatory f waves" in afib.description
    csn = build_prompt_set(
        term,
        "csn",
        None,
        _script(
            {
                "STE": [
                    RawClaim("st segment depression", "subtype"),
                    RawClaim(
                        "horizontal or downsloping st depression of 0.5 mm or more", "feature"
                    ),
                    RawClaim("inferior st segment depression", "subtype"),
                ]
            }
        ),
    ).prompt_set
    ste = next(c for c in csn.classes if c.label == "STE")
    assert {r.code for r in ste.rejected} == {"competing_label_subtype", "competing_label_feature"}
    assert ste.fallback  # nothing of the LLM's survived: terminology-only prompt


def test_defining_criteria_survive_the_length_limit() -> None:
    phrases = [
        Phrase(text="left bundle branch block", kind="name", concept_id="1", origin="terminology")
    ]
    phrases += [
        Phrase(
            text=f"criterion {i} with a number of words in it",
            kind="feature",
            concept_id=f"d{i}",
            origin="terminology",
        )
        for i in range(3)
    ]
    phrases += [
        Phrase(
            text=f"supporting feature {i} with several more words",
            kind="feature",
            concept_id=f"o{i}",
            origin="terminology",
        )
        for i in range(12)
    ]
    kept = fit_to_length(phrases, keep={"d0", "d1", "d2"})
    assert len(compose(kept).split()) <= MAX_DESCRIPTION_WORDS < len(compose(phrases).split())
    assert [p.concept_id for p in kept[:4]] == ["1", "d0", "d1", "d2"]


def test_a_class_without_defining_criterion_is_a_build_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kd = tmp_path / "knowledge"
    shutil.copytree(knowledge_dir(), kd, ignore=shutil.ignore_patterns("kbbuild", "*.md"))
    sr = next(r for r in _labels("synthetic") if r["label"] == "SR")["concept_ids"]
    text = (kd / "features.tsv").read_text(encoding="utf-8").splitlines(keepends=True)
    text = [ln[:-2] + "0\n" if ln.startswith(sr + "\t") else ln for ln in text]
    (kd / "features.tsv").write_text("".join(text), encoding="utf-8")
    term = load_terminology(kd / "terminology", kd / "features.tsv")
    with pytest.raises(BuildError, match="SR: no defining criterion"):
        build_prompt_set(term, "synthetic", labels_folder=kd / "labelsets")
    assert build_prompt_set(load_terminology(), "synthetic").prompt_set.classes
    # the command says so in one line and exits 2
    from typer.testing import CliRunner

    from ckepe.cli import app

    monkeypatch.setenv("CKEPE_KNOWLEDGE", str(kd))
    out = tmp_path / "synthetic.json"
    res = CliRunner().invoke(
        app, ["build-prompts", "--dataset", "synthetic", "--llm", "none", "--out", str(out)]
    )
    assert res.exit_code == 2 and "no defining criterion" in res.output, res.output
    assert not out.exists()
