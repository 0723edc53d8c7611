"""The local OpenAI-compatible server (issue 27): dies with its parent, always has a key,
inherits no secret, and a port answered by another process is not taken for it."""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ckepe.llm.errors import LLMError
from ckepe.llm.proc import is_secret_name, scrubbed_env
from ckepe.llm.server import free_port, local_openai_server

PARENT = """
import json, sys, time
from ckepe.llm.server import local_openai_server
with local_openai_server(log_path=sys.argv[1]) as url:
    print(json.dumps({"url": url, "key": url.api_key, "pid": url.pid}), flush=True)
    time.sleep(600)
"""


def _gone(pid: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split()[2]
        except OSError:
            return True
        if state == "Z":  # a zombie: dead, waiting for a parent that no longer exists
            return True
        time.sleep(0.2)
    return False


def test_scrubbed_env_drops_credentials() -> None:
    env = scrubbed_env({"API_KEY": "k"}, base={"PATH": "/bin", "OPENAI_API_KEY": "sk-1",
                       "HF_TOKEN": "t", "MY_SECRET": "s", "PYTHONPATH": "."})  # fmt: skip
    assert env == {"PATH": "/bin", "PYTHONPATH": ".", "API_KEY": "k"}
    assert is_secret_name("aws_secret_access_key") and not is_secret_name("HOME")


@pytest.mark.llm
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_server_has_a_random_key_no_inherited_secret_and_dies_with_its_parent(
    tmp_path: Path,
) -> None:
    pytest.importorskip("llama_cpp.server", reason="needs llama-cpp-python[server]")
    env = {**os.environ, "OPENAI_API_KEY": "sk-parent-secret-123"}
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path / "server.log")],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        line = parent.stdout.readline() if parent.stdout else ""
        assert line, f"parent exited {parent.poll()}: {(tmp_path / 'server.log').read_text()}"
        info = json.loads(line)
        assert len(info["key"]) >= 24
        with pytest.raises(urllib.error.HTTPError) as err:  # no key: refused
            urllib.request.urlopen(info["url"] + "/models", timeout=10)
        assert err.value.code == 401
        req = urllib.request.Request(
            info["url"] + "/models", headers={"Authorization": f"Bearer {info['key']}"}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200
        environ = Path(f"/proc/{info['pid']}/environ").read_bytes().split(b"\0")
        assert not [e for e in environ if e.startswith(b"OPENAI_API_KEY=")]
        parent.send_signal(signal.SIGTERM)  # the parent dies without any clean-up
        parent.wait(timeout=10)
        assert _gone(info["pid"], 10), "the server outlived its parent"
    finally:
        parent.kill()
        parent.wait(timeout=10)


class _Foreign(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = b'{"object": "list", "data": [{"id": "someone-else"}]}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.llm
def test_a_port_answered_by_another_process_is_refused(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp.server", reason="needs llama-cpp-python[server]")
    port = free_port()
    foreign = http.server.HTTPServer(("127.0.0.1", port), _Foreign)
    thread = threading.Thread(target=foreign.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(LLMError, match=f"{port}"):
            with local_openai_server(port=port, log_path=tmp_path / "server.log"):
                pass
    finally:
        foreign.shutdown()
        foreign.server_close()
