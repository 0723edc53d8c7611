"""The llama.cpp engine in a process of its own: a native crash ends this process, not the build.

Run by :mod:`ckepe.llm.engine` as ``python -P <this file>`` (standard library and
``llama_cpp`` only, nothing of ckepe is imported). Requests arrive as JSON lines on stdin, one
reply line each goes to the original stdout; everything else the process writes (native
logs included) goes to stderr.

``python -P <this file> serve ARGS`` runs ``llama_cpp.server`` with the same load settings.

Load settings: on a CPU with AMX units (Intel Sapphire Rapids and later: ``amx_tile`` in
/proc/cpuinfo) llama.cpp's *extra buffer types* are turned off (``use_extra_bufts = False``).
With them on, llama.cpp repacks the weights at load into the AMX buffer, and the first matrix
product there faults (SIGSEGV) in the llama.cpp that llama-cpp-python 0.3.x bundles. Other
CPUs load exactly as before (llama.cpp's default). ``$CKEPE_LLAMA_EXTRA_BUFFERS`` = ``on`` /
``off`` overrides the choice.
"""

from __future__ import annotations

import ctypes
import json
import os
import runpy
import sys
from typing import Any

FAULT_ENV = "CKEPE_LLM_FAULT"  # fault injection for tests: "segv" crashes on the first chat
EXTRA_BUFFERS_ENV = "CKEPE_LLAMA_EXTRA_BUFFERS"  # on | off | auto (default: off where AMX)


def cpu_flags(cpuinfo: str = "/proc/cpuinfo") -> set[str]:
    """The CPU's feature flags (empty where /proc/cpuinfo is not readable)."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def want_extra_buffers(flags: set[str], setting: str | None) -> bool:
    """Whether llama.cpp may use its extra buffer types: ``on``/``off`` as set, else not on
    a CPU with AMX units (their repacked weights fault), else llama.cpp's default (yes)."""
    setting = (setting or "auto").strip().lower()
    if setting in ("on", "1", "true"):
        return True
    if setting in ("off", "0", "false"):
        return False
    return "amx_tile" not in flags


def disable_extra_buffers() -> bool:
    """Make every model load of this process use ``use_extra_bufts = False``; False when the
    installed llama-cpp-python has no such field (nothing changed)."""
    import llama_cpp.llama_cpp as lib

    defaults = lib.llama_model_default_params
    if getattr(defaults, "ckepe_no_extra_bufts", False):
        return True
    if "use_extra_bufts" not in {f[0] for f in lib.llama_model_params._fields_}:
        return False

    def params() -> Any:
        p = defaults()
        p.use_extra_bufts = False
        return p

    params.ckepe_no_extra_bufts = True  # type: ignore[attr-defined]
    lib.llama_model_default_params = params
    return True


def _load(req: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    flags = cpu_flags()
    wanted = want_extra_buffers(flags, os.environ.get(EXTRA_BUFFERS_ENV))
    disabled = wanted or disable_extra_buffers()  # True: the setting is what was wanted
    from llama_cpp import Llama

    llm = Llama(
        model_path=req["path"],
        n_ctx=int(req["n_ctx"]),
        n_threads=int(req["n_threads"]),
        seed=0,
        verbose=False,
    )
    # The parameter block llama_model_load_from_file received (llama-cpp-python keeps it).
    used = getattr(getattr(llm, "_model", None), "params", None)
    extra = getattr(used, "use_extra_bufts", None)
    return llm, {
        "extra_buffers": "unsupported" if not disabled else bool(extra),
        "amx": "amx_tile" in flags,
        "pid": os.getpid(),
    }


def _chat(llm: Any, req: dict[str, Any]) -> dict[str, Any]:
    if os.environ.get(FAULT_ENV) == "segv":
        ctypes.string_at(0)  # a real native fault (SIGSEGV), as a broken kernel gives
    kwargs: dict[str, Any] = {}
    if req.get("response_format"):
        kwargs["response_format"] = req["response_format"]
    out = llm.create_chat_completion(
        messages=req["messages"],
        temperature=req["temperature"],
        max_tokens=req["max_tokens"],
        seed=req["seed"],
        **kwargs,
    )
    return {"content": out["choices"][0]["message"]["content"] or ""}


def serve(argv: list[str]) -> None:
    """``python -m llama_cpp.server ARGV`` with the worker's load settings."""
    if not want_extra_buffers(cpu_flags(), os.environ.get(EXTRA_BUFFERS_ENV)):
        disable_extra_buffers()
    sys.argv = ["llama_cpp.server", *argv]
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


def main() -> None:
    """Answer JSON-line requests (``load`` first, then ``chat``) until stdin closes."""
    reply_to = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # native printf and stray prints must not corrupt the reply channel
    sys.stdout = sys.stderr
    llm = None
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            if req["op"] == "load":
                llm, info = _load(req)
                reply = {"ok": True, **info}
            elif llm is None:
                reply = {"ok": False, "error": "no model loaded"}
            else:
                reply = {"ok": True, **_chat(llm, req)}
        except Exception as exc:  # one line back to the parent, which raises LLMError
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}".splitlines()[0]}
        reply_to.write(json.dumps(reply) + "\n")
        reply_to.flush()


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[2:])
    else:
        main()
