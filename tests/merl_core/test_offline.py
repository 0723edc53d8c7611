"""Nothing leaves the machine (issue 27): a text model that is not here fails fast with one
line and no network attempt, even where transformers was imported first; a model from the
Hugging Face cache records its revision, and a pinned revision is honoured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import json, sys, time
events = []
def hook(event, args):
    if event in ("socket.connect", "socket.getaddrinfo"):
        events.append(event)
sys.addaudithook(hook)
t = time.time()
if sys.argv[1] == "transformers-first":
    import transformers  # noqa: F401 - before merl_core sets the offline variables
from merl_core.models.text import TextEncoder
try:
    TextEncoder("ncbi/MedCPT-Query-Encoder")
    error = None
except Exception as exc:
    error = f"{type(exc).__name__}: {exc}"
print(json.dumps({"events": events, "error": error, "seconds": time.time() - t}))
"""


@pytest.mark.parametrize("order", ["merl-first", "transformers-first"])
def test_a_hub_id_not_here_fails_fast_without_network(tmp_path: Path, order: str) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    }
    env.update(HF_HOME=str(tmp_path / "hf"), PYTHONPATH=os.getcwd())
    out = subprocess.run([sys.executable, "-c", PROBE, order], env=env, capture_output=True,
                         text=True, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["events"] == []  # not even a name lookup
    assert res["error"].startswith("TextModelError:") and "\n" not in res["error"]
    assert (
        "ncbi/MedCPT-Query-Encoder" in res["error"] and "huggingface-cli download" in res["error"]
    )


def _fake_cache(hf_home: Path, minilm: str, repo: str, commit: str) -> None:
    """The Hugging Face cache layout holding ``repo`` at ``commit`` (files linked)."""
    root = hf_home / "hub" / f"models--{repo.replace('/', '--')}"
    snap = root / "snapshots" / commit
    snap.mkdir(parents=True)
    for f in Path(minilm).iterdir():
        if f.is_file():
            (snap / f.name).symlink_to(f)
    (root / "refs").mkdir()
    (root / "refs" / "main").write_text(commit)


def test_revision_is_recorded_and_pinned(
    minilm_path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub.constants as hub_constants

    from merl_core.models import create_model
    from merl_core.models.text import TextEncoder, TextModelError

    commit = "0123456789abcdef0123456789abcdef01234567"
    _fake_cache(tmp_path / "hf", minilm_path, "someone/minilm", commit)
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    enc = TextEncoder("someone/minilm")
    assert enc.revision == commit
    model = create_model("vit1d-tiny", text_model="someone/minilm")
    assert model.config.to_dict()["text"]["revision"] == commit  # saved with checkpoints
    assert TextEncoder("someone/minilm", revision=commit).revision == commit
    other = "f" * 40
    with pytest.raises(TextModelError, match=f"at revision {other}"):
        TextEncoder("someone/minilm", revision=other)
    assert TextEncoder(minilm_path).revision is None  # a plain folder has no revision
