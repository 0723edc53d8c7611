"""The ``openai`` backend against a real OpenAI-compatible server (llama.cpp) on 127.0.0.1."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ckepe.llm import LLMEndpointError, create_proposer
from ckepe.llm.server import free_port, local_openai_server
from tests.ckepe.test_llm_local import CONTEXTS

pytestmark = pytest.mark.llm

API_KEY = "sk-test-0123456789-do-not-leak"


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` serving the packaged GGUF, with an API key."""
    pytest.importorskip("llama_cpp.server", reason="needs llama-cpp-python[server]")
    log = tmp_path_factory.mktemp("server") / "server.log"
    with local_openai_server(api_key=API_KEY, log_path=log) as url:
        yield url


def test_openai_backend_against_local_server(
    llama_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", llama_server)
    proposer, info = create_proposer("auto", cache_dir=tmp_path, max_tokens=128)
    assert proposer is not None and info["llm_backend"] == "openai"
    assert info["endpoint"] == llama_server and info["model"]  # model id asked from server
    prop = proposer(CONTEXTS[1])
    assert prop.raw_text.strip()
    assert all(c.kind in ("subtype", "feature") and c.text for c in prop.claims)
    assert prop.claims or prop.error
    calls = proposer.chat.calls
    assert calls >= 1

    again, _ = create_proposer("openai", cache_dir=tmp_path, max_tokens=128)
    assert again is not None
    assert again(CONTEXTS[1]).raw_text == prop.raw_text and again.chat.calls == 0

    # the key is nowhere: generator info, cache files, repr of the chat model
    assert API_KEY not in json.dumps(info)
    files = list(tmp_path.rglob("*.json"))
    assert files and all(API_KEY not in f.read_text(encoding="utf-8") for f in files)
    assert API_KEY not in repr(proposer.chat)


def test_wrong_key_is_a_clear_error_without_the_key(
    llama_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    wrong = "sk-wrong-key-abcdef"
    proposer, _ = create_proposer(
        "openai",
        model="smollm2",
        base_url=llama_server,
        cache_dir=tmp_path,
        api_key=wrong,
        max_retries=1,
    )
    assert proposer is not None
    with pytest.raises(LLMEndpointError) as err:
        proposer(CONTEXTS[0])
    msg = str(err.value)
    assert llama_server in msg and "rejected" in msg and "HTTP 401" in msg
    assert wrong not in msg and "\n" not in msg
    assert proposer.chat.calls == 1  # an authentication failure is not retried


@pytest.mark.timeout(60)
def test_closed_port_fails_fast_with_endpoint_named(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    proposer, info = create_proposer(
        "openai",
        model="any",
        base_url=url,
        cache_dir=tmp_path,
        api_key=API_KEY,
        timeout_s=2.0,
        max_retries=2,
        backoff_s=0.05,
    )
    assert proposer is not None and info["endpoint"] == url
    with pytest.raises(LLMEndpointError, match=r"failed after 3 attempts") as err:
        proposer(CONTEXTS[0])
    assert url in str(err.value) and API_KEY not in str(err.value)
    assert proposer.chat.calls == 3
    assert not list(tmp_path.rglob("*.json"))  # nothing cached for a failed call
    with pytest.raises(LLMEndpointError):  # later classes fail at once, no new retries
        proposer(CONTEXTS[1])
    assert proposer.chat.calls == 3


def test_no_model_and_no_server_is_a_clear_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(LLMEndpointError, match="could not list models"):
        create_proposer("openai", base_url=url, cache_dir=tmp_path, timeout_s=2.0)
    assert os.environ.get("OPENAI_API_KEY") != API_KEY


@pytest.mark.timeout(120)
def test_cli_build_with_endpoint_down_exits_1_and_keeps_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bundled_knowledge: Path
) -> None:
    from typer.testing import CliRunner

    from ckepe.cli import app

    monkeypatch.setenv("CKEPE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("CKEPE_LLM_MAX_RETRIES", "1")
    url = f"http://127.0.0.1:{free_port()}/v1"
    out = tmp_path / "cpsc2018.json"
    out.write_text('{"good": "file"}', encoding="utf-8")
    res = CliRunner().invoke(
        app,
        [
            "build-prompts",
            "--dataset",
            "cpsc2018",
            "--llm",
            "openai",
            "--model",
            "any",
            "--base-url",
            url,
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 1, res.output
    assert url in res.output and "failed after 2 attempts" in res.output
    assert API_KEY not in res.output
    assert out.read_text(encoding="utf-8") == '{"good": "file"}'
