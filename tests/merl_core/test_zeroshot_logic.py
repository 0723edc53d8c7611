"""Zero-shot classifier on a hand-made embedding case; prompt files; val-only thresholds.

The text encoder here is a lookup table of fixed vectors (pure logic, no model): the real
model is exercised in test_eval_ptbxl.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from ckepe.promptfile import (
    ClassEntry,
    Phrase,
    PromptSet,
    read_prompt_set,
    read_prompt_version,
    write_prompt_set,
)
from merl_core.eval.evalsets import EvalSplit, normalize_id, read_split_file, select_split
from merl_core.eval.metrics import select_thresholds
from merl_core.eval.prompts import PromptFileError, read_prompts
from merl_core.eval.zeroshot import FeatureBank, build_classifier, zeroshot_scores, zeroshot_task

VEC = {
    "afib description": [1.0, 0.0, 0.0],
    "irregular rr": [0.0, 10.0, 0.0],  # a long vector: the mean must use normalised phrases
    "absent p waves": [0.0, 0.0, 1.0],
    "afib": [0.6, 0.8, 0.0],
    "sinus description": [0.0, 0.0, -1.0],
    "sinus": [0.0, -1.0, 0.0],
}


def _encode(texts: list[str]) -> torch.Tensor:
    return torch.tensor([VEC[t.lower()] for t in texts])  # an uncased tokenizer


def _prompt_file(tmp_path: Path) -> Path:
    def phrase(text: str, kind: str) -> Phrase:
        return Phrase(text=text, kind=kind, concept_id="1", origin="terminology")

    ps = PromptSet(dataset="synthetic", classes=[
        ClassEntry(label="AFIB", name="AFIB", description="AFIB description",
                   phrases=[phrase("irregular RR", "feature"),
                            phrase("absent P waves", "feature")]),
        ClassEntry(label="SR", name="sinus", description="sinus description",
                   phrases=[phrase("sinus", "name")]),
    ])  # fmt: skip
    return write_prompt_set(ps, tmp_path / "ps.json")


def test_phrase_mean_and_description_differ_as_they_should(tmp_path: Path) -> None:
    path = _prompt_file(tmp_path)
    table = read_prompts(path)
    assert table.version == read_prompt_set(path).prompt_set_version and not table.flat
    desc = build_classifier(_encode, table.texts(["AFIB", "SR"], "description"))
    phr = build_classifier(_encode, table.texts(["AFIB", "SR"], "phrases"))
    name = build_classifier(_encode, table.texts(["AFIB", "SR"], "name"))
    assert torch.allclose(desc[:, 0], torch.tensor([1.0, 0.0, 0.0]))
    # mean of the *normalised* phrase embeddings, renormalised: equal weight to both phrases
    r = 2**-0.5
    assert torch.allclose(phr[:, 0], torch.tensor([0.0, r, r]), atol=1e-6)
    assert torch.allclose(name[:, 0], torch.tensor([0.6, 0.8, 0.0]), atol=1e-6)
    assert torch.allclose(phr.norm(dim=0), torch.ones(2))
    ecg = torch.tensor([[0.0, 3.0, 0.0], [2.0, 0.0, 0.0]])  # scores use normalised ECG too
    s_desc, s_phr = zeroshot_scores(ecg, desc), zeroshot_scores(ecg, phr)
    assert s_desc[0, 0] == pytest.approx(0.0) and s_phr[0, 0] == pytest.approx(r)
    assert s_desc[1, 0] == pytest.approx(1.0) and s_phr[1, 0] == pytest.approx(0.0)


def test_missing_class_names_the_class(tmp_path: Path) -> None:
    table = read_prompts(_prompt_file(tmp_path))
    with pytest.raises(PromptFileError, match="'STACH'") as info:
        table.texts(["AFIB", "STACH", "SR"])
    assert "ps.json" in str(info.value) and "\n" not in str(info.value)


def test_flat_upstream_prompt_file(tmp_path: Path) -> None:
    path = tmp_path / "flat.json"
    path.write_text(json.dumps({"AFIB": "AFIB description", "SR": ["sinus"]}))
    table = read_prompts(path)
    assert table.flat and table.version == read_prompt_version(path)[1].recomputed
    # case-insensitive; a list of texts is one description (joined, as ckepe reads it)
    assert table.texts(["afib", "SR"]) == [["AFIB description"], ["sinus"]]
    assert table.texts(["SR"], "phrases") == [["sinus"]]
    clf = build_classifier(_encode, table.texts(["AFIB", "SR"], "phrases"))
    assert clf.shape == (3, 2)


@pytest.mark.parametrize("content", ["not json", "[1, 2]", "{}", '{"A": 3}'])
def test_unreadable_prompt_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(PromptFileError, match="bad.json"):
        read_prompts(path)


class _LookupModel:
    """ECG 'encoder' that returns the first sample of three leads (pure logic)."""

    training = False

    def eval(self) -> _LookupModel:
        return self

    def encode_ecg(self, x: torch.Tensor, normalize: bool = False) -> torch.Tensor:
        f = x[:, :3, 0]
        return torch.nn.functional.normalize(f, dim=-1) if normalize else f


def test_threshold_comes_from_val_only() -> None:
    rng = np.random.default_rng(0)
    sig = rng.normal(size=(80, 12, 4)).astype(np.float32)
    clf = build_classifier(_encode, [["afib description"], ["sinus"]])
    bank = FeatureBank(_LookupModel(), sig, batch_size=16)
    y = (rng.random((80, 2)) < 0.4).astype(np.float32)
    val = EvalSplit(np.arange(40), y[:40], ["AFIB", "SR"])
    test = EvalSplit(np.arange(40, 80), y[40:], ["AFIB", "SR"])
    out = zeroshot_task("t", bank, clf, test, val, n_bootstrap=20)
    s_val = zeroshot_scores(bank.get(val.indices), clf).numpy()
    expect = select_thresholds(val.labels, s_val)
    assert [c.threshold for c in out.result.classes] == pytest.approx(expect.tolist())
    flipped = EvalSplit(test.indices, 1 - test.labels, test.label_names)  # new test labels
    out2 = zeroshot_task("t", bank, clf, flipped, val, n_bootstrap=20)
    assert [c.threshold for c in out2.result.classes] == pytest.approx(expect.tolist())
    assert out2.result.classes[0].auc == pytest.approx(1 - out.result.classes[0].auc)
    # the test scores are those of the ECGs at the test indices
    assert np.allclose(out.scores, zeroshot_scores(torch.tensor(sig[40:, :3, 0]), clf).numpy())


@pytest.mark.data
def test_split_files_match_cache_by_id_and_read_labels_by_name(
    tmp_path: Path, splits_root: Path
) -> None:
    train = read_split_file(splits_root / "ptbxl/sub_class/ptbxl_sub_class_train.csv")
    test = read_split_file(splits_root / "ptbxl/sub_class/ptbxl_sub_class_test.csv")
    assert len(test.label_names) == 23 and set(train.label_names) == set(test.label_names)
    assert train.label_names != test.label_names  # the published permutation
    icbeb = read_split_file(splits_root / "icbeb/icbeb_test.csv")
    assert icbeb.dataset == "cpsc2018" and len(icbeb.label_names) == 9
    assert "sex" not in icbeb.label_names
    csn = read_split_file(splits_root / "chapman/chapman_test.csv")
    assert csn.dataset == "csn" and len(csn.label_names) == 38
    assert normalize_id("/chapman/WFDBRecords/18/186/JS18048.mat") == "JS18048"
    assert normalize_id("records500/00000/00009_hr") == normalize_id(9) == "9"
    cache_ids = ["00009", "00038", "99999"]
    sel = select_split(cache_ids, None, None, test)
    assert sorted(sel.indices.tolist()) == [0, 1]
    assert sel.info["rows_missing_from_cache"] == len(test.ids) - 2
