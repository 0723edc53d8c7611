"""The numpy sentence encoder of the audit: same embeddings as transformers, no torch in ckepe."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ckepe.similarity import MiniLMEncoder, SimilarityRanker
from ckepe.terminology import load_terminology
from tests._numerics import U32, relative_error_bound, unit_norm_bound

TEXTS = [
    "absent P waves",
    "irregularly irregular RR intervals with no discernible P waves",
    "QRS duration of 120 ms or more",
    "rSR' in V1",
]


def test_numpy_encoder_matches_transformers(minilm_path: str) -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    tok = transformers.AutoTokenizer.from_pretrained(minilm_path)
    model = transformers.AutoModel.from_pretrained(minilm_path).eval()
    batch = tok(TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    ref = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=1).numpy()
    got = MiniLMEncoder(Path(minilm_path)).encode(TEXTS)
    assert got.shape == (4, 384)
    # Each side within fp32's error of the 6-layer encoder at this many tokens, relative to
    # the pooled vector, its direction within twice that; numpy's GELU takes erf from
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), counted as one more rounding of that
    # size in every product (an over-count: only the products after a GELU see it).
    rel = relative_error_bound(model, batch["input_ids"].shape[1], u=U32 + 1.5e-7)
    diff = np.linalg.norm(got - ref, axis=1)
    assert (diff <= 2 * rel + 2 * unit_norm_bound(384)).all(), diff


def test_ranker_orders_candidates(minilm_path: str) -> None:
    term = load_terminology()
    ranker = SimilarityRanker(term, MiniLMEncoder(Path(minilm_path)))
    ranked = ranker.rank(
        "spikes from the pacemaker", ["599999999109", "719999999107", "929999999102"]
    )
    assert ranked[0][0] == "719999999107" and ranked[0][1] > ranked[-1][1]
    # why nothing is accepted on similarity alone: the encoder ranks "every third beat"
    # above "every second beat" for "every other beat", and "present" near "absent"
    near = dict(ranker.rank("P waves present", ["929999999102"]))
    assert near["929999999102"] > 0.75


def test_ckepe_audit_never_imports_torch(tmp_path: Path) -> None:
    flat = tmp_path / "csn_one.json"
    flat.write_text('{"SR": "sinus rhythm, every P wave followed by a QRS"}')
    code = (
        "import sys; from ckepe.cli import app\n"
        "try:\n    app(['audit', '--hallucination-check', sys.argv[1], '--partial'])\n"
        "except SystemExit:\n    pass\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "assert 'ckepe.similarity' in sys.modules\n"
    )
    root = Path(__file__).resolve().parents[2]
    res = subprocess.run(
        [sys.executable, "-c", code, str(flat)],
        cwd=root,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "PYTHONPATH": str(root)},
    )
    assert res.returncode == 0, res.stderr[-2000:]
