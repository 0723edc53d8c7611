"""The ``local`` backend: the packaged SmolLM2 GGUF run by a real engine, and the cache."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ckepe.llm import LLMProposer, create_proposer
from ckepe.llm.cache import ResponseCache
from ckepe.proposal import ClassContext, Proposal, RawClaim

pytestmark = pytest.mark.llm

# Three real PTB-XL classes with published criteria (hand-written context; the pipeline
# test in test_llm_build.py uses the terminology's own).
CONTEXTS = [
    ClassContext(
        dataset="ptbxl",
        task="form",
        label="CLBBB",
        name="complete left bundle branch block",
        concept_id="733534002",
        synonyms=["left bundle branch block"],
        subtypes=[],
        features=[
            ("f1", "QRS duration >= 120 ms", "QRS >= 120 ms"),
            ("f2", "broad notched R wave in I, aVL, V5, V6", "lateral leads"),
            ("f3", "absent Q waves in I, V5, V6", ""),
        ],
        other_labels=["complete right bundle branch block", "first degree AV block"],
    ),
    ClassContext(
        dataset="ptbxl",
        task="rhythm",
        label="AFIB",
        name="atrial fibrillation",
        concept_id="49436004",
        synonyms=["AF"],
        subtypes=[
            ("s1", "paroxysmal atrial fibrillation"),
            ("s2", "persistent atrial fibrillation"),
        ],
        features=[
            ("f1", "absent P waves", "no discrete P waves"),
            ("f2", "irregularly irregular RR intervals", ""),
            ("f3", "fibrillatory waves", "f waves 350-600/min"),
        ],
        other_labels=["sinus rhythm", "atrial flutter", "sinus bradycardia"],
    ),
    ClassContext(
        dataset="ptbxl",
        task="form",
        label="1AVB",
        name="first degree AV block",
        concept_id="270492004",
        synonyms=["first degree atrioventricular block"],
        subtypes=[],
        features=[("f1", "prolonged PR interval", "PR interval > 200 ms")],
        other_labels=["complete left bundle branch block", "atrial fibrillation"],
    ),
]


def _proposer(chat, cache_dir: Path, use_cache: bool = True) -> LLMProposer:
    return LLMProposer(chat, ResponseCache(cache_dir), use_cache=use_cache)


def test_local_model_proposes_for_three_classes(local_chat, tmp_path: Path) -> None:
    proposer = _proposer(local_chat, tmp_path)
    for ctx in CONTEXTS:
        prop = proposer(ctx)
        assert isinstance(prop, Proposal) and prop.raw_text.strip()
        if prop.error is None:
            assert prop.claims, ctx.label
        for claim in prop.claims:
            assert isinstance(claim, RawClaim) and claim.kind in ("subtype", "feature")
            assert claim.text.strip() and len(claim.text) <= 160
    # grammar-constrained decoding: every class parsed without falling back
    assert all(proposer(ctx).error is None for ctx in CONTEXTS)


def test_generator_info_records_model_and_decoding(tmp_path: Path) -> None:
    proposer, info = create_proposer("local", seed=3, cache_dir=tmp_path)
    assert proposer is not None
    assert info["llm_backend"] == "local" and "SmolLM2-135M-Instruct" in info["model"]
    assert re.fullmatch(r"[0-9a-f]{64}", info["model_sha256"])
    assert info["engine"] in ("llama_cpp", "transformers") and info["engine_version"]
    assert info["decoding"]["temperature"] == 0.0 and info["seed"] == 3
    assert info["cache"] == {"enabled": True}
    assert str(tmp_path) not in json.dumps(info)
    none, none_info = create_proposer("none")
    assert none is None and none_info["llm_backend"] == "none"


def test_cache_hit_skips_engine_and_no_cache_forces_call(local_chat, tmp_path: Path) -> None:
    ctx = CONTEXTS[2]
    first = _proposer(local_chat, tmp_path)
    calls0 = local_chat.calls
    p1 = first(ctx)
    assert local_chat.calls > calls0 and first.engine_calls >= 1
    assert list(tmp_path.rglob("*.json"))

    again = _proposer(local_chat, tmp_path)  # a rerun: same inputs, same cache folder
    calls1 = local_chat.calls
    p2 = again(ctx)
    assert local_chat.calls == calls1 and again.engine_calls == 0
    assert p2.raw_text == p1.raw_text and p2.claims == p1.claims

    fresh = _proposer(local_chat, tmp_path, use_cache=False)
    p3 = fresh(ctx)
    assert local_chat.calls > calls1 and fresh.engine_calls >= 1
    assert p3.raw_text == p1.raw_text  # temperature 0: the fresh call gives the same text


def test_seed_and_temperature_change_the_cache_key(local_chat, tmp_path: Path) -> None:
    ident = local_chat.request_identity()
    other = local_chat.model_copy(update={"seed": 1, "temperature": 0.7})
    assert other.request_identity() != ident
    assert ident["model_sha256"] and ident["decoding"]["json_mode"] in (True, False)


@pytest.mark.slow
def test_transformers_engine_runs_the_same_gguf(tmp_path: Path) -> None:
    pytest.importorskip("gguf", reason="the transformers engine needs gguf")
    proposer, info = create_proposer(
        "local", engine="transformers", cache_dir=tmp_path, max_tokens=48
    )
    assert proposer is not None and info["engine"] == "transformers"
    prop = proposer(CONTEXTS[2])
    assert proposer.chat.calls >= 1 and prop.raw_text.strip()
    assert all(c.kind in ("subtype", "feature") and c.text for c in prop.claims)
