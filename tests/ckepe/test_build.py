"""The build pipeline and the proposer seam, with a scripted proposer (pure logic)."""

from __future__ import annotations

from pathlib import Path

from ckepe.build import ClassContext, Proposal, RawClaim, build_prompt_set, compose
from ckepe.promptfile import Phrase
from ckepe.terminology import load_terminology
from ckepe.verify import MAX_DESCRIPTION_WORDS

SCRIPT: dict[str, Proposal] = {
    # hallucinated subtypes (unknown / not a descendant), a good one, chat text
    "RBBB": Proposal(
        claims=[
            RawClaim("incomplete right bundle branch block", "subtype"),
            RawClaim("trifascicular right bundle branch block", "subtype"),
            RawClaim("bundle branch block", "subtype"),
            RawClaim("Here is a list of ECG features for RBBB", "feature"),
            RawClaim("rsr' pattern in v1", "feature"),
        ],
        raw_text="...",
    ),
    # wrong features, another label's name, a good feature
    "AFIB": Proposal(
        claims=[
            RawClaim("rsr' pattern in v1", "feature"),
            RawClaim("left bundle branch block", "feature"),
            RawClaim("irregularly irregular rhythm", "feature"),
            RawClaim("Let me know if you need more.", "synonym"),
        ]
    ),
    # empty output: no claims at all
    "LBBB": Proposal(claims=[], raw_text=""),
    # a backend error
    "IRBBB": Proposal(error="timeout after 30 s"),
}


def scripted(ctx: ClassContext) -> Proposal:
    assert ctx.dataset == "csn" and ctx.task == "default"
    assert ctx.label not in ctx.other_labels and ctx.name not in ctx.other_labels
    if ctx.label == "CRBBB":
        raise RuntimeError("connection refused")
    return SCRIPT[ctx.label]


def _classes(small_knowledge: Path, proposer=None):  # type: ignore[no-untyped-def]
    term = load_terminology()
    return build_prompt_set(term, "csn", None, proposer, {"llm_backend": "scripted"})


def test_terminology_only_build_is_deterministic(small_knowledge: Path) -> None:
    a, b = _classes(small_knowledge), _classes(small_knowledge)
    ps = a.prompt_set
    assert ps.prompt_set_version == b.prompt_set.prompt_set_version
    assert [c.label for c in ps.classes] == ["RBBB", "IRBBB", "CRBBB", "LBBB", "AFIB"]
    rbbb = ps.classes[0]
    # the wide-QRS feature belongs to CRBBB (a subtype's feature stays with the subtype) and
    # both subtypes are competing labels of this set: the parent says what it has itself
    assert rbbb.description == "right bundle branch block; ecg features: RSR' pattern in V1"
    assert all(p.origin == "terminology" and p.concept_id for p in rbbb.phrases)
    assert not any(c.fallback for c in ps.classes)
    afib = ps.classes[-1]
    assert [p.kind for p in afib.phrases] == ["name", "feature", "feature"]


def test_features_are_own_links_and_competing_subtypes_stay_out(small_knowledge: Path) -> None:
    from ckepe.build import retrieve
    from ckepe.labelsets import load_labelset

    term = load_terminology()
    rbbb = load_labelset("csn")[0]
    alone = retrieve(term, rbbb)
    # CRBBB's wide QRS is not RBBB's own link: it stays with the subtype
    assert [n for _, n, _ in alone["features"]] == ["RSR' pattern in V1"]
    assert [n for _, n in alone["subtypes"]] == [
        "complete right bundle branch block",
        "incomplete right bundle branch block",
    ]
    rivals = retrieve(term, rbbb, ["713427006"])
    assert [n for _, n in rivals["subtypes"]] == ["incomplete right bundle branch block"]
    assert ("713427006", "subtype that is (or lies below) a competing label") in rivals["excluded"]


def test_scripted_proposer_claims_are_verified(small_knowledge: Path) -> None:
    res = _classes(small_knowledge, scripted)
    by = {c.label: c for c in res.prompt_set.classes}
    rbbb = by["RBBB"]
    assert not rbbb.fallback
    assert [(p.text, p.origin) for p in rbbb.phrases] == [
        ("right bundle branch block", "terminology"),
        ("RSR' pattern in V1", "llm"),  # rendered: the terminology's term, not the claim
    ]
    assert {r.text: r.code for r in rbbb.rejected} == {
        # a true subtype, but a competing label of this set (IRBBB)
        "incomplete right bundle branch block": "competing_label_subtype",
        "trifascicular right bundle branch block": "unknown_term",
        "bundle branch block": "not_descendant",
        "Here is a list of ECG features for RBBB": "chat_text",
    }
    assert "bundle branch block;" not in rbbb.description.replace("right bundle", "")
    afib = by["AFIB"]
    assert {r.text: r.code for r in afib.rejected} == {
        "rsr' pattern in v1": "not_linked_feature",
        "left bundle branch block": "other_label",
        "Let me know if you need more.": "chat_text",
    }
    assert afib.description == "atrial fibrillation; ecg features: irregularly irregular rhythm"
    assert all(r.reason for c in by.values() for r in c.rejected)


def test_empty_output_error_and_exception_fall_back(small_knowledge: Path) -> None:
    res = _classes(small_knowledge, scripted)
    by = {c.label: c for c in res.prompt_set.classes}
    plain = {c.label: c for c in _classes(small_knowledge).prompt_set.classes}
    for label, why in (
        ("LBBB", "no verified"),
        ("IRBBB", "timeout"),
        ("CRBBB", "connection refused"),
    ):
        assert by[label].fallback and why in (by[label].fallback_reason or "")
        assert by[label].description == plain[label].description  # terminology-only
    stats = {s.label: s for s in res.stats}
    assert stats["RBBB"].proposed == 5 and stats["RBBB"].rejected == 4
    assert stats["LBBB"].fallback and not stats["RBBB"].fallback


def test_compose_caps_the_description() -> None:
    many = [
        Phrase(text="right bundle branch block", kind="name", concept_id="1", origin="terminology")
    ]
    many += [
        Phrase(
            text=f"feature number {i} with several words",
            kind="feature",
            concept_id=str(i),
            origin="terminology",
        )
        for i in range(30)
    ]
    from ckepe.build import fit_to_length

    kept = fit_to_length(many)
    assert len(compose(kept).split()) <= MAX_DESCRIPTION_WORDS < len(compose(many).split())
    assert kept[0].kind == "name"


def test_progress_is_reported_before_each_class_is_built() -> None:
    """The progress callback runs as the build goes (it once ran over the whole list before
    the first class was built, so a long LLM build showed nothing until it ended)."""
    from ckepe.build import build_prompt_set as build
    from ckepe.terminology import load_terminology as load

    built: list[str] = []
    seen: list[tuple[int, int, str, int]] = []

    def counting(ctx):  # a proposer that records the order of the classes
        from ckepe.build import Proposal

        built.append(ctx.label)
        return Proposal(error="no answer")

    result = build(
        load(),
        "cpsc2018",
        proposer=counting,
        progress=lambda i, n, label: seen.append((i, n, label, len(built))),
    )
    labels = [c.label for c in result.prompt_set.classes]
    assert [s[2] for s in seen] == labels
    assert [s[0] for s in seen] == list(range(len(labels)))
    assert all(s[1] == len(labels) for s in seen)
    assert [s[3] for s in seen] == list(range(len(labels)))  # called before each class
