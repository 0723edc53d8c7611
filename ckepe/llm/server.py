"""A local OpenAI-compatible endpoint serving the packaged SmolLM2 GGUF (llama.cpp server).

Used by the tests and benchmarks of the ``openai`` backend, and handy for trying the
backend without any account: ``with local_openai_server() as url: ...``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from ckepe.llm.chat import LLMError, find_packaged_gguf

logger = logging.getLogger(__name__)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(
    url: str, proc: subprocess.Popen[bytes], api_key: str | None, timeout_s: float
) -> None:
    """Poll ``url/models`` until it answers 200, the process dies, or ``timeout_s`` passes."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    req = urllib.request.Request(url + "/models", headers=headers)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LLMError(f"llama_cpp.server exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(req, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise LLMError(f"llama_cpp.server not ready at {url} after {timeout_s:.0f} s")


@contextlib.contextmanager
def local_openai_server(
    port: int | None = None,
    api_key: str | None = None,
    n_threads: int = 2,
    n_ctx: int = 4096,
    ready_timeout_s: float = 90.0,
    log_path: Path | None = None,
) -> Iterator[str]:
    """Run ``python -m llama_cpp.server`` on 127.0.0.1; yields its ``/v1`` base URL.

    The server is always stopped on exit (terminate, then kill after 10 s). ``api_key`` is
    passed in the server's environment, never on its command line.
    """
    port = port or free_port()
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(find_packaged_gguf()),
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
    env = {k: v for k, v in os.environ.items() if k.upper() != "API_KEY"}
    if api_key:  # through the environment (llama_cpp.server settings read API_KEY), so the
        env["API_KEY"] = api_key  # key never shows in the process list
    log_path = log_path or Path(tempfile.mkdtemp(prefix="ckepe-server-")) / "server.log"
    url = f"http://127.0.0.1:{port}/v1"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_ready(url, proc, api_key, ready_timeout_s)
        logger.info("llama.cpp server ready at %s (log %s)", url, log_path)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
