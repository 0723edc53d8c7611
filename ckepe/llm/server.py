"""A local OpenAI-compatible endpoint serving the packaged SmolLM2 GGUF (llama.cpp server).

Used by the tests and benchmarks of the ``openai`` backend, and handy for trying the
backend without any account: ``with local_openai_server() as url: ...``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from ckepe.llm.chat import find_packaged_gguf
from ckepe.llm.engine import WORKER_FILE
from ckepe.llm.errors import LLMError
from ckepe.llm.proc import describe_exit, die_with_parent, scrubbed_env

logger = logging.getLogger(__name__)

BIND_ATTEMPTS = 3


class ServerURL(str):
    """The server's ``/v1`` base URL (a ``str``), with its API key and process id."""

    api_key: str
    pid: int
    model: str


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def served_models(url: str, api_key: str | None, timeout_s: float = 2.0) -> list[str]:
    """The model ids ``url/models`` lists (raises urllib errors as they come)."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    req = urllib.request.Request(url + "/models", headers=headers)
    with urllib.request.urlopen(req, timeout=timeout_s) as resp:
        doc = json.loads(resp.read().decode("utf-8") or "{}")
    data = doc.get("data") if isinstance(doc, dict) else None
    return [str(m.get("id")) for m in data or [] if isinstance(m, dict)]


def wait_ready(
    url: str,
    proc: subprocess.Popen[bytes],
    api_key: str | None,
    timeout_s: float,
    model: str | None = None,
) -> None:
    """Poll ``url/models`` until our server answers, the process dies, or ``timeout_s`` passes.

    The answer counts only when it lists ``model`` for ``api_key``: another process that
    took the port between :func:`free_port` and the server's bind is not mistaken for ours.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LLMError(f"llama_cpp.server {describe_exit(proc.returncode)} ({url})")
        try:
            listed = served_models(url, api_key)
        except (urllib.error.URLError, OSError, ValueError):
            time.sleep(0.5)
            continue
        if model is None or model in listed:
            return
        raise LLMError(f"{url} is answered by another process (it does not serve {model})")
    raise LLMError(f"llama_cpp.server not ready at {url} after {timeout_s:.0f} s")


def _server_command(model: str, port: int, n_ctx: int, n_threads: int) -> list[str]:
    # llama_cpp.server run through the worker script: the same load settings (no AMX repack)
    return [
        sys.executable,
        "-P",
        str(WORKER_FILE),
        "serve",
        "--model",
        model,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        str(n_threads),
        "--verbose",
        "False",
    ]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@contextlib.contextmanager
def local_openai_server(
    port: int | None = None,
    api_key: str | None = None,
    n_threads: int = 2,
    n_ctx: int = 4096,
    ready_timeout_s: float = 90.0,
    log_path: Path | None = None,
) -> Iterator[ServerURL]:
    """Run ``llama_cpp.server`` on 127.0.0.1 serving the packaged GGUF; yields its ``/v1``
    base URL as a :class:`ServerURL` (``.api_key``: give it to clients).

    The server always has an API key (a random one unless ``api_key`` is given), passed in
    its environment, never on its command line; the environment carries no other secret
    (no ``OPENAI_API_KEY``). It dies with this process (``PR_SET_PDEATHSIG``) and is stopped
    on exit (terminate, then kill after 10 s). The port is checked after readiness to be
    served by this model with this key; a port lost to another process is retried.
    """
    key = api_key or secrets.token_urlsafe(24)
    model = str(find_packaged_gguf())
    log_path = log_path or Path(tempfile.mkdtemp(prefix="ckepe-server-")) / "server.log"
    attempts = 1 if port else BIND_ATTEMPTS
    for attempt in range(attempts):
        use_port = port or free_port()
        url = f"http://127.0.0.1:{use_port}/v1"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                _server_command(model, use_port, n_ctx, n_threads),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=scrubbed_env({"API_KEY": key}),  # llama_cpp.server settings read API_KEY
                preexec_fn=die_with_parent(),
            )
        try:
            wait_ready(url, proc, key, ready_timeout_s, model=model)
        except LLMError:
            _stop(proc)
            if attempt + 1 == attempts:
                raise
            logger.warning("llama.cpp server did not come up on port %d; another port", use_port)
            continue
        break
    served = ServerURL(url)
    served.api_key, served.pid, served.model = key, proc.pid, model
    logger.info("llama.cpp server ready at %s (log %s)", url, log_path)
    try:
        yield served
    finally:
        _stop(proc)
