"""The LLM reply cache is private and bounded; an API key never travels over plain http://
to another machine without the user's say-so (issue 27)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ckepe.llm.cache import ResponseCache, cache_key
from ckepe.llm.errors import LLMError
from ckepe.llm.openai_compat import create_openai_chat_model, is_loopback


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_cache_is_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        cache = ResponseCache(tmp_path / "cache")
        path = cache.put({"model": "m", "messages": [{"role": "user", "content": "ecg"}]}, "ok")
    finally:
        os.umask(old)
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700 and _mode(tmp_path / "cache") == 0o700
    os.chmod(tmp_path / "cache", 0o755)  # made by an older version: tightened on next write
    cache.put({"model": "m", "n": 2}, "ok")
    assert _mode(tmp_path / "cache") == 0o700


def test_cache_is_bounded_and_evicts_least_recently_used(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "cache", max_bytes=6000)
    reqs = [{"model": "m", "n": i} for i in range(12)]
    for i, req in enumerate(reqs):
        cache.put(req, "x" * 900)
        if i == 2:
            os.utime(cache._path(cache_key(reqs[0])), (1, 1))  # oldest by far
        if i >= 3:
            assert cache.get(reqs[1]) == "x" * 900  # used again and again: kept
    assert sum(size for _, size, _ in cache.entries()) <= 6000
    assert cache.evicted > 0
    assert cache.get(reqs[0]) is None and cache.get(reqs[1]) == "x" * 900
    assert cache.get(reqs[-1]) == "x" * 900  # the newest stays


@pytest.mark.parametrize(
    ("url", "ok"),
    [("http://127.0.0.1:8080/v1", True), ("http://localhost:1/v1", True),
     ("http://[::1]:9/v1", True), ("https://llm.example.org/v1", True),
     ("http://gpu-box:8000/v1", False), ("http://10.0.0.5:8000/v1", False)],
)  # fmt: skip
def test_a_key_over_plain_http_to_another_machine_is_refused(
    url: str, ok: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CKEPE_ALLOW_HTTP_KEY", raising=False)
    assert is_loopback(url) == (url.startswith("http://") and ok)
    if ok:
        assert create_openai_chat_model("m", url, "sk-secret-1").model_id == "m"
        return
    with pytest.raises(LLMError, match="plain http://") as err:
        create_openai_chat_model("m", url, "sk-secret-1")
    assert "sk-secret-1" not in str(err.value)
    assert create_openai_chat_model("m", url, None).model_id == "m"  # no key, nothing to leak
    monkeypatch.setenv("CKEPE_ALLOW_HTTP_KEY", "1")
    assert create_openai_chat_model("m", url, "sk-secret-1").model_id == "m"


def test_torch_floor_excludes_the_weights_only_bypass() -> None:
    import tomllib

    root = Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    lists = [project["dependencies"], *project["optional-dependencies"].values()]
    torches = [d for deps in lists for d in deps if d.split(">")[0].split("=")[0] == "torch"]
    assert torches, "torch is required somewhere (the merl extra)"
    for torch in torches:  # every place that admits torch has the floor
        floor = tuple(int(x) for x in torch.split(">=")[1].split(",")[0].strip().split("."))
        assert floor >= (2, 6), torch  # CVE-2025-32434 fixed in 2.6
