"""The llama.cpp engine run in a child process (:mod:`ckepe.llm._llama_worker`).

A native fault in llama.cpp (SIGSEGV, SIGILL, SIGBUS, an abort) ends the worker, not the
build: the parent raises :class:`LLMEngineCrash`, one line naming the engine and what to do,
and the replies cached so far stay on disk. One worker per (model, context, threads) serves
every chat model of the process; it is killed with its parent (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from ckepe.llm.errors import LLMEngineCrash, LLMError
from ckepe.llm.proc import describe_exit, die_with_parent, scrubbed_env

logger = logging.getLogger(__name__)

WORKER_FILE = Path(__file__).with_name("_llama_worker.py")
DEFAULT_TIMEOUT_S = 600.0  # one reply of at most a few hundred tokens from a small model
LOAD_TIMEOUT_S = 300.0
ADVICE = (
    "the replies cached so far are kept; rerun to resume, pass --llm none (terminology "
    "only) or --llm-fallback (finish terminology-only), or set CKEPE_LLM_ENGINE=transformers"
)


def engine_label() -> str:
    """``llama.cpp (llama-cpp-python X.Y.Z)``."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"llama.cpp (llama-cpp-python {version('llama-cpp-python')})"
    except PackageNotFoundError:
        return "llama.cpp (llama-cpp-python)"


class LlamaWorker:
    """One ``_llama_worker`` process with a model loaded; :meth:`chat` asks it for a reply."""

    def __init__(self, path: str, n_ctx: int, n_threads: int, timeout_s: float | None = None):
        self.path, self.n_ctx, self.n_threads = path, n_ctx, n_threads
        env_timeout = os.environ.get("CKEPE_LLM_LOCAL_TIMEOUT", "")
        self.timeout_s = timeout_s or float(env_timeout or DEFAULT_TIMEOUT_S)
        logger.info("loading %s with llama.cpp in a worker process (n_ctx=%d)", path, n_ctx)
        fd, log = tempfile.mkstemp(prefix="ckepe-llama-", suffix=".log")
        self.log_path = Path(log)
        self.proc = subprocess.Popen(
            [sys.executable, "-P", str(WORKER_FILE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=fd,
            env=scrubbed_env(),
            preexec_fn=die_with_parent(),
            close_fds=True,
        )
        os.close(fd)
        self._buf = b""
        self.info = self._ask(
            {"op": "load", "path": path, "n_ctx": n_ctx, "n_threads": n_threads},
            "while loading the model",
            max(self.timeout_s, LOAD_TIMEOUT_S),
        )
        if self.info.get("extra_buffers") == "unsupported":
            logger.warning(
                "this llama-cpp-python has no use_extra_bufts setting: AMX weight repacking "
                "stays on (it crashes on some Intel CPUs); upgrade llama-cpp-python if it does"
            )
        elif self.info.get("amx"):
            logger.info("CPU with AMX units: llama.cpp extra buffer types %s",
                        "on" if self.info.get("extra_buffers") else "off")  # fmt: skip
        logger.info("llama.cpp worker %d: %s loaded", self.proc.pid, Path(path).name)

    @property
    def pid(self) -> int:
        """Process id of the worker."""
        return self.proc.pid

    def alive(self) -> bool:
        """True while the worker process runs."""
        return self.proc.poll() is None

    def chat(self, messages: list[dict[str, str]], **decoding: Any) -> str:
        """The reply text for ``messages`` (decoding: temperature, max_tokens, seed,
        response_format)."""
        reply = self._ask({"op": "chat", "messages": messages, **decoding}, "while answering")
        return str(reply.get("content") or "")

    def close(self) -> None:
        """Stop the worker (end of input, then kill after 5 s) and drop its log."""
        if self.proc.poll() is None:
            try:
                if self.proc.stdin:
                    self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None and not stream.closed:
                stream.close()
        if self.proc.returncode == 0:
            self.log_path.unlink(missing_ok=True)

    def _ask(self, request: dict[str, Any], doing: str, timeout_s: float | None = None) -> Any:
        if self.proc.stdin is None or self.proc.stdout is None:
            raise LLMError("llama.cpp worker has no pipes")
        try:
            self.proc.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
            self.proc.stdin.flush()
            line = self._read_line(timeout_s or self.timeout_s)
        except (BrokenPipeError, EOFError, ConnectionResetError):
            raise self._crashed(doing) from None
        except TimeoutError:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise LLMEngineCrash(
                f"local LLM engine {engine_label()} did not answer within "
                f"{timeout_s or self.timeout_s:.0f} s {doing} (stopped; log "
                f"{self.log_path}); {ADVICE}"
            ) from None
        reply = json.loads(line)
        if not reply.get("ok"):
            raise LLMError(f"local LLM engine {engine_label()}: {reply.get('error')}")
        return reply

    def _read_line(self, timeout_s: float) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise EOFError
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    def _crashed(self, doing: str) -> LLMEngineCrash:
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        how = describe_exit(self.proc.returncode)
        try:
            empty = self.log_path.stat().st_size == 0
        except OSError:
            empty = True
        if empty:  # nothing to read in it
            self.log_path.unlink(missing_ok=True)
            logger.error("llama.cpp worker %d %s", self.proc.pid, how)
        else:
            logger.error("llama.cpp worker %d %s; its log: %s", self.proc.pid, how, self.log_path)
        return LLMEngineCrash(
            f"local LLM engine {engine_label()} with {Path(self.path).name} crashed ({how}) "
            f"{doing}; {ADVICE}"
        )


FAULT_ENV = "CKEPE_LLM_FAULT"  # read by the worker (tests: "segv" faults on the first chat)
EXTRA_BUFFERS_ENV = "CKEPE_LLAMA_EXTRA_BUFFERS"  # read by the worker: on | off | auto
_WORKERS: dict[tuple[str, int, int, str, str], LlamaWorker] = {}
_LOCK = threading.Lock()


def get_worker(path: str, n_ctx: int, n_threads: int) -> LlamaWorker:
    """The running worker for this model and settings, started (and loaded) when needed.

    Raises:
        LLMEngineCrash: the worker died since its last reply (the next call starts another).
    """
    env = os.environ
    key = (path, n_ctx, n_threads, env.get(FAULT_ENV, ""), env.get(EXTRA_BUFFERS_ENV, ""))
    with _LOCK:
        worker = _WORKERS.get(key)
        if worker is not None and not worker.alive():  # died between two requests
            del _WORKERS[key]
            raise worker._crashed("between two requests")
        if worker is None:
            worker = _WORKERS[key] = LlamaWorker(path, n_ctx, n_threads)
        return worker


def discard_worker(worker: LlamaWorker) -> None:
    """Forget ``worker`` (after a crash) and stop it if it still runs."""
    with _LOCK:
        for key, w in list(_WORKERS.items()):
            if w is worker:
                del _WORKERS[key]
    worker.close()


@atexit.register
def close_workers() -> None:
    """Stop every worker of this process."""
    with _LOCK:
        workers = list(_WORKERS.values())
        _WORKERS.clear()
    for w in workers:
        w.close()
