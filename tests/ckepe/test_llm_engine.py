"""The llama.cpp engine in its worker process: AMX repacking off, a native crash is one line.

Issue 27: on Intel CPUs with AMX units the weights were repacked into llama.cpp's AMX
buffer at load and the first matrix product there died with SIGSEGV, taking the build with
it. The model is now loaded with ``use_extra_bufts = False`` in a worker process of its own.
"""

from __future__ import annotations

import os
import runpy
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ckepe.cli import app
from ckepe.llm import LLMEngineCrash, LLMProposer, LLMUnavailable
from ckepe.llm.cache import ResponseCache
from ckepe.llm.chat import LocalChatModel, create_local_chat_model
from ckepe.llm.engine import EXTRA_BUFFERS_ENV, FAULT_ENV, WORKER_FILE, get_worker
from tests.ckepe.test_llm_local import CONTEXTS

pytestmark = pytest.mark.llm
runner = CliRunner()


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((ln for ln in text.splitlines() if ln.startswith("flags")), "")
    return set(line.partition(":")[2].split())


def test_extra_buffer_types_are_off_in_the_model_llama_cpp_loaded(local_chat) -> None:
    worker = get_worker(local_chat.model_path, local_chat.n_ctx, local_chat._threads())
    # read back from the parameter block llama_model_load_from_file received: off on a CPU
    # with AMX units, llama.cpp's default (on) elsewhere, as before
    amx = "amx_tile" in _cpu_flags()
    assert worker.info["amx"] is amx and worker.info["extra_buffers"] is (not amx)
    assert worker.pid != os.getpid() and worker.alive()
    if "amx_tile" in _cpu_flags():  # the CPU that crashed at the first product: it answers
        reply = worker.chat([{"role": "user", "content": "Say OK."}], temperature=0.0,
                            max_tokens=4, seed=0)  # fmt: skip
        assert isinstance(reply, str) and worker.alive()


def test_disable_extra_buffers_changes_llama_cpp_defaults() -> None:
    code = (
        "import runpy, llama_cpp.llama_cpp as lib\n"
        "before = lib.llama_model_default_params().use_extra_bufts\n"
        f"ok = runpy.run_path({str(WORKER_FILE)!r}, run_name='w')['disable_extra_buffers']()\n"
        "print(before, ok, lib.llama_model_default_params().use_extra_bufts)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "False"]


def test_extra_buffers_are_off_only_where_the_cpu_has_amx() -> None:
    want = runpy.run_path(str(WORKER_FILE), run_name="w")["want_extra_buffers"]
    sapphire = {"avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_int8", "amx_tile"}
    assert want(sapphire, None) is False and want(sapphire, "auto") is False
    assert want({"avx2", "fma"}, None) is True  # AMD / AVX2: llama.cpp's default, unchanged
    assert want({"avx2", "avx512f"}, "") is True
    assert want(sapphire, "on") is True and want({"avx2"}, "off") is False


def _own_chat() -> LocalChatModel:
    """A chat model with a worker of its own (another context size than the session's)."""
    return create_local_chat_model(max_tokens=96).model_copy(update={"n_ctx": 2048})


def test_worker_killed_by_a_signal_is_one_line_and_the_cache_is_kept(tmp_path: Path) -> None:
    chat = _own_chat()
    proposer = LLMProposer(chat, ResponseCache(tmp_path / "cache"))
    first = proposer(CONTEXTS[0])
    assert proposer.engine_calls >= 1 and list((tmp_path / "cache").rglob("*.json"))
    worker = get_worker(chat.model_path, chat.n_ctx, chat._threads())
    os.kill(worker.pid, signal.SIGSEGV)
    worker.proc.wait(timeout=10)
    with pytest.raises(LLMEngineCrash) as info:
        proposer(CONTEXTS[1])
    msg = str(info.value)
    assert "\n" not in msg and info.value.abort_build
    for needle in ("llama.cpp", "SIGSEGV", "cached", "--llm none", "--llm-fallback"):
        assert needle in msg, msg
    # the same proposer does not call the dead engine again; with the fallback allowed the
    # error no longer stops the build
    proposer.fallback = True
    with pytest.raises(LLMUnavailable) as info2:
        proposer(CONTEXTS[2])
    assert not info2.value.abort_build
    # a rerun is served from the cache without any engine
    again = LLMProposer(chat, ResponseCache(tmp_path / "cache"))
    assert again(CONTEXTS[0]).raw_text == first.raw_text and again.engine_calls == 0


def test_native_fault_stops_the_build_or_falls_back_when_allowed(
    small_knowledge: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FAULT_ENV, "segv")  # the worker dereferences NULL on its first chat
    monkeypatch.setenv("CKEPE_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "csn.json"
    args = ["build-prompts", "--dataset", "csn", "--llm", "local", "--out", str(out)]
    res = runner.invoke(app, args)
    assert res.exit_code == 1, res.output
    errors = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in res.output, res.output
    assert "llama.cpp" in errors[0] and "SIGSEGV" in errors[0]
    assert not out.exists()
    res = runner.invoke(app, [*args, "--llm-fallback"])
    assert res.exit_code == 0, res.output
    assert out.exists()


@pytest.mark.skipif("amx_tile" not in _cpu_flags(), reason="the crash needs a CPU with AMX units")
def test_the_amx_crash_itself_becomes_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the repacking forced back on, this CPU faults in llama.cpp as the issue reports:
    the build gets one line instead of dying with it."""
    monkeypatch.setenv(EXTRA_BUFFERS_ENV, "on")
    chat = create_local_chat_model(max_tokens=8)
    with pytest.raises(LLMEngineCrash, match="SIGSEGV") as info:
        chat.complete([{"role": "user", "content": "hi"}])
    assert "\n" not in str(info.value) and "llama.cpp" in str(info.value)
