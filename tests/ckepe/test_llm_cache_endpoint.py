"""The endpoint is part of the reply-cache key; missing OpenAI settings are named before any
network call; the local server's API key travels in its environment, not its arguments."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ckepe.cli import app
from ckepe.llm import LLMError, create_proposer
from ckepe.llm.backends import LLMProposer
from ckepe.llm.cache import ResponseCache, cache_key
from ckepe.llm.chat import LLMEndpointError
from ckepe.llm.openai_compat import create_openai_chat_model
from ckepe.llm.server import free_port, local_openai_server

KEY = "sk-cache-test-0123456789-secret"
MESSAGES = [{"role": "user", "content": "List the ECG features of RBBB."}]


def _chat(url: str):  # noqa: ANN202
    return create_openai_chat_model("same-model", url, KEY, max_retries=0, timeout_s=2.0)


def test_two_endpoints_with_one_model_name_do_not_share_replies(tmp_path: Path) -> None:
    a = _chat(f"http://127.0.0.1:{free_port()}/v1")
    b = _chat(f"http://user:pw@127.0.0.1:{free_port()}/v1?token=x")
    ida, idb = a.request_identity(), b.request_identity()
    assert ida["model"] == idb["model"] and ida["endpoint"] != idb["endpoint"]
    assert "pw" not in idb["endpoint"] and "token" not in idb["endpoint"]  # redacted
    assert KEY not in str(ida) + str(idb)
    cache = ResponseCache(tmp_path)
    cache.put({**ida, "messages": MESSAGES}, "reply from A")
    assert LLMProposer(a, cache).complete(MESSAGES) == "reply from A"  # a hit: no network
    assert a.calls == 0
    with pytest.raises(LLMEndpointError, match="127.0.0.1"):  # B misses and asks its own
        LLMProposer(b, cache).complete(MESSAGES)  # (closed) port: nothing listens there
    assert b.calls == 1
    same = _chat(a.base_url)
    assert cache_key({**same.request_identity(), "messages": MESSAGES}) == \
        cache_key({**ida, "messages": MESSAGES})  # fmt: skip


def test_missing_openai_settings_are_named_before_any_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(LLMError, match="OPENAI_API_KEY and OPENAI_BASE_URL are both unset"):
        create_proposer("openai", cache_dir=tmp_path)
    res = CliRunner().invoke(app, ["build-prompts", "--dataset", "cpsc2018", "--llm", "openai",
                                   "--out", str(tmp_path / "p.json")])  # fmt: skip
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "OPENAI_API_KEY" in lines[0] and "OPENAI_BASE_URL" in lines[0]
    assert not (tmp_path / "p.json").exists()
    monkeypatch.setenv("OPENAI_BASE_URL", "https://api.openai.com/v1")
    with pytest.raises(LLMError, match="OPENAI_API_KEY is unset"):
        create_proposer("openai", cache_dir=tmp_path)
    monkeypatch.delenv("OPENAI_BASE_URL")
    chat = create_openai_chat_model("m", f"http://127.0.0.1:{free_port()}/v1")  # keyless local
    assert chat.model_id == "m"


def _cmdlines() -> list[bytes]:
    out = []
    for p in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            out.append(p.read_bytes())
        except OSError:
            pass
    return out


@pytest.mark.llm
def test_local_server_key_is_not_on_its_command_line(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp.server", reason="needs llama-cpp-python[server]")
    with local_openai_server(api_key=KEY, log_path=tmp_path / "server.log") as url:
        running = [c for c in _cmdlines() if b"_llama_worker.py\x00serve" in c]
        assert running and all(KEY.encode() not in c for c in _cmdlines())
        good = urllib.request.Request(url + "/models", headers={"Authorization": f"Bearer {KEY}"})
        with urllib.request.urlopen(good, timeout=10) as resp:
            assert resp.status == 200  # the key reached the server through its environment
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url + "/models", timeout=10)
        assert err.value.code == 401
