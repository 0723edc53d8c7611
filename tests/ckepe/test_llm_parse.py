"""Pure logic of the LLM half: parsing, repair, cache files, backend choice (no model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ckepe.llm import LLMError, resolve_backend
from ckepe.llm.cache import ResponseCache, cache_key
from ckepe.llm.openai_compat import redact_url
from ckepe.proposal import (
    MAX_CLAIMS_PER_KIND,
    ClassContext,
    ProposalParseError,
    build_messages,
    extract_json_object,
    parse_proposal,
    propose_with_repair,
)

CTX = ClassContext(
    dataset="ptbxl",
    task="form",
    label="1AVB",
    name="first degree AV block",
    concept_id="270492004",
    synonyms=["first degree atrioventricular block"],
    subtypes=[],
    features=[("f1", "prolonged PR interval", "PR interval > 200 ms")],
    other_labels=["atrial fibrillation", "first degree AV block"],
)
GOOD = '{"subtypes": [], "features": ["prolonged PR interval"]}'


def test_chat_text_and_code_fence_around_json() -> None:
    text = "Sure! Here is the JSON:\n```json\n" + GOOD + "\n```\nLet me know if you need more."
    claims = parse_proposal(text)
    assert [(c.text, c.kind) for c in claims] == [("prolonged PR interval", "feature")]


def test_truncated_json_is_closed() -> None:
    obj = extract_json_object('{"subtypes": ["a"], "features": ["prolonged PR int')
    assert obj == {"subtypes": ["a"], "features": ["prolonged PR int"]}


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        ("I think it is a heart block.", "no JSON object"),
        ('{"subtypes": [...], "features": [...]}', "invalid JSON"),
        ('{"subtypes": [], "features": []}', 'no "subtypes" or "features"'),
        ('{"features": 3}', "schema mismatch at 'features'"),
        ('["prolonged PR interval"]', "no JSON object"),
    ],
)
def test_unusable_output_is_rejected_with_reason(text: str, why: str) -> None:
    with pytest.raises(ProposalParseError, match=why):
        parse_proposal(text)


def test_small_llm_habits_are_coerced_and_bounded() -> None:
    feats = [{"name": "prolonged PR interval"}, "Prolonged PR  interval", 7, "", "None", "..."]
    feats += [f"feature {i}" for i in range(20)]
    claims = parse_proposal(json.dumps({"subtypes": "first degree", "features": feats, "extra": 1}))
    assert claims[0].kind == "subtype" and claims[0].text == "first degree"
    texts = [c.text for c in claims if c.kind == "feature"]
    assert texts[0] == "prolonged PR interval"
    assert "Prolonged PR  interval" not in texts  # duplicate after normalisation
    assert len(texts) == MAX_CLAIMS_PER_KIND


def test_prompt_names_class_candidates_and_other_labels() -> None:
    msgs = build_messages(CTX)
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user"]
    last = msgs[-1]["content"]
    assert "first degree AV block" in last and "PR interval > 200 ms" in last
    assert "atrial fibrillation" in last
    assert last.count("first degree AV block") == 2  # not repeated as an "other label"
    json.loads(msgs[2]["content"])  # the few-shot answer itself is valid JSON


def test_repair_retries_once_with_the_error_then_succeeds() -> None:
    seen: list[list[dict[str, str]]] = []
    replies = iter(["Here you go: {broken", GOOD])

    def complete(messages: list[dict[str, str]]) -> str:
        seen.append(messages)
        return next(replies)

    prop = propose_with_repair(CTX, complete)
    assert prop.error is None and [c.text for c in prop.claims] == ["prolonged PR interval"]
    assert len(seen) == 2
    assert seen[1][-2] == {"role": "assistant", "content": "Here you go: {broken"}
    assert "could not be used" in seen[1][-1]["content"]
    assert "broken" in prop.raw_text and "prolonged" in prop.raw_text


def test_repair_gives_up_after_bounded_attempts() -> None:
    calls = []

    def complete(messages: list[dict[str, str]]) -> str:
        calls.append(1)
        return ""

    prop = propose_with_repair(CTX, complete, max_repairs=1)
    assert len(calls) == 2 and prop.claims == []
    assert prop.error is not None and "empty" in prop.error


def test_cache_roundtrip_atomic_and_corrupt_entry(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    req = {"backend": "local", "model": "m", "decoding": {"t": 0}, "messages": [{"a": "b"}]}
    assert cache.get(req) is None
    path = cache.put(req, "reply")
    assert cache.get(req) == "reply" and cache.hits == 1 and cache.misses == 1
    assert path.name == cache_key(req) + ".json"
    assert not list(tmp_path.rglob(".tmp-*"))
    assert cache_key({**req, "decoding": {"t": 1}}) != cache_key(req)
    path.write_text("{not json", encoding="utf-8")
    assert cache.get(req) is None


def test_cache_dir_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CKEPE_CACHE_DIR", str(tmp_path / "c"))
    assert ResponseCache().directory == tmp_path / "c"


def test_auto_backend_follows_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert resolve_backend("auto") == "local"
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert resolve_backend("auto") == "openai"
    assert resolve_backend("none") == "none"
    with pytest.raises(LLMError, match="unknown LLM backend 'gpt'"):
        resolve_backend("gpt")


def test_redact_url_drops_credentials() -> None:
    assert redact_url("https://user:sk-secret@host.example:8443/v1?key=sk-x") == (
        "https://host.example:8443/v1"
    )


def test_engine_choice_falls_back_to_transformers(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from ckepe.llm import chat as llm_chat

    real = importlib.util.find_spec
    monkeypatch.delenv("CKEPE_LLM_ENGINE", raising=False)
    monkeypatch.setattr(
        llm_chat.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "llama_cpp" else real(name, *a),
    )
    assert llm_chat.pick_engine() == "transformers"
    with pytest.raises(LLMError, match="needs llama_cpp"):
        llm_chat.pick_engine("llama_cpp")
    with pytest.raises(LLMError, match="unknown local LLM engine 'vllm'"):
        llm_chat.pick_engine("vllm")


def test_local_backend_rejects_a_model_that_is_not_a_gguf_file(tmp_path: Path) -> None:
    from ckepe.llm import create_proposer

    with pytest.raises(LLMError, match=r"gpt-4: not a GGUF model file"):
        create_proposer("local", model=str(tmp_path / "gpt-4"), cache_dir=tmp_path)
