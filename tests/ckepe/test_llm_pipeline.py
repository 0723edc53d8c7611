"""LLM output through the whole build: parse → ground → verify → reject with reasons.

A scripted chat model (pure logic: its replies are fixed strings) stands in for the LLM so
that each kind of bad output is certain to occur; the real backends are tested elsewhere.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ckepe.build import build_class, build_prompt_set
from ckepe.labelsets import LabelEntry
from ckepe.llm import LLMProposer
from ckepe.llm.cache import ResponseCache
from ckepe.llm.chat import ChatModelBase
from ckepe.terminology import load_terminology
from ckepe.verify import OtherLabel
from tests.ckepe.test_llm_build import write_table

RBBB_REPLY = (
    "Sure! Here is the JSON you asked for:\n"
    + json.dumps(
        {
            "subtypes": [
                "complete right bundle branch block",  # true is-a descendant
                "hyperacute right bundle branch block",  # hallucinated concept
                "left bundle branch block",  # another label, not a subtype
            ],
            "features": [
                "rsr prime in V1",  # linked feature (synonym of the feature concept)
                "absent P waves",  # real concept, wrong class
                "Let me know if you need more",  # chat text
                "atrial fibrillation",  # another label's name
            ],
        }
    )
    + "\nLet me know if you need anything else."
)


class ScriptedChat(ChatModelBase):
    """Replies by class name: a fixed string per class (pure-logic test double)."""

    replies: dict[str, str] = {}

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def complete(self, messages: list[dict[str, str]]) -> str:
        self.calls += 1
        last = messages[-1]["content"]
        if "could not be used" in last:  # the repair turn: still broken
            return '{"subtypes": [, ]}'
        line = next(x for x in last.splitlines() if x.startswith("Class: "))
        return self.replies[line.removeprefix("Class: ")]


def _entries() -> tuple[LabelEntry, LabelEntry, list[OtherLabel], list[OtherLabel]]:
    rbbb = LabelEntry("RBBB", "default", ("59118001",), "right bundle branch block", "exact")
    afib = LabelEntry("AFIB", "default", ("49436004",), "atrial fibrillation", "exact")
    lbbb = OtherLabel("LBBB", "left bundle branch block", ("164909002",))
    return (
        rbbb,
        afib,
        [OtherLabel("AFIB", afib.name, afib.concept_ids), lbbb],
        [OtherLabel("RBBB", rbbb.name, rbbb.concept_ids), lbbb],
    )


def test_bad_llm_claims_are_rejected_with_reasons(small_rf2: Path, tmp_path: Path) -> None:
    term = load_terminology(small_rf2 / "Snapshot" / "Terminology", small_rf2 / "features.tsv")
    chat = ScriptedChat(
        model_id="scripted",
        replies={
            "right bundle branch block": RBBB_REPLY,
            "atrial fibrillation": 'Here: {"subtypes": [, "features": ]}',  # broken JSON
        },
    )
    proposer = LLMProposer(chat, ResponseCache(tmp_path))
    rbbb, afib, rbbb_others, afib_others = _entries()

    ce, stats = build_class(term, "test", rbbb, ["default"], rbbb_others, proposer)
    assert not ce.fallback and stats.proposed == 7
    llm_phrases = {p.text for p in ce.phrases if p.origin == "llm"}
    assert {"complete right bundle branch block", "rsr prime in V1"} <= llm_phrases
    codes = {r.text: r.code for r in ce.rejected}
    assert codes["hyperacute right bundle branch block"] == "unknown_term"
    assert codes["left bundle branch block"] == "other_label"
    assert codes["absent P waves"] == "not_linked_feature"
    assert codes["Let me know if you need more"] == "chat_text"
    assert codes["atrial fibrillation"] == "other_label"
    assert all(r.reason and r.origin == "llm" for r in ce.rejected)
    assert "atrial fibrillation" not in ce.description.lower()

    ce2, _ = build_class(term, "test", afib, ["default"], afib_others, proposer)
    assert ce2.fallback and "unusable LLM output" in (ce2.fallback_reason or "")
    assert ce2.phrases and all(p.origin == "terminology" for p in ce2.phrases)
    assert chat.calls == 3  # one RBBB call, AFIB call + one repair turn

    ce3, _ = build_class(term, "test", rbbb, ["default"], rbbb_others, proposer)
    assert chat.calls == 3 and ce3 == ce  # the rerun comes from the cache, identically


class InterruptingChat(ScriptedChat):
    """Raises KeyboardInterrupt (Ctrl-C) on the engine call number ``stop_at``."""

    stop_at: int = 0

    def complete(self, messages: list[dict[str, str]]) -> str:
        if self.calls + 1 == self.stop_at:
            raise KeyboardInterrupt
        return super().complete(messages)


def test_interrupted_build_resumes_from_cache(small_rf2: Path, tmp_path: Path) -> None:
    term = load_terminology(small_rf2 / "Snapshot" / "Terminology", small_rf2 / "features.tsv")
    folder = tmp_path / "labelsets"
    write_table(
        folder,
        "cpsc2018",
        [
            ["default", "RBBB", "59118001", "right bundle branch block", "exact", ""],
            ["default", "AF", "49436004", "atrial fibrillation", "exact", ""],
        ],
    )
    replies = {
        "right bundle branch block": RBBB_REPLY,
        "atrial fibrillation": '{"subtypes": [], "features": ["absent P waves"]}',
    }
    cache = ResponseCache(tmp_path / "cache")
    first = InterruptingChat(model_id="scripted", replies=replies, stop_at=2)
    with pytest.raises(KeyboardInterrupt):
        build_prompt_set(term, "cpsc2018", None, LLMProposer(first, cache), labels_folder=folder)
    assert first.calls == 1  # RBBB answered and cached, AF interrupted

    resumed = ScriptedChat(model_id="scripted", replies=replies)
    result = build_prompt_set(
        term, "cpsc2018", None, LLMProposer(resumed, cache), labels_folder=folder
    )
    assert resumed.calls == 1  # only AF asked again
    af = result.prompt_set.classes[1]
    assert not af.fallback and any(p.origin == "llm" for p in af.phrases)
