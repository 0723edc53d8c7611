"""PTB-XL reader on the real sample: signals, lead mapping, the four task label matrices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from merl_core.data.leads import LEADS, canonical_name, lead_permutation
from merl_core.data.preprocess import PreprocessConfig, preprocess
from merl_core.data.ptbxl import label_matrix, ptbxl_source, read_database
from merl_core.data.source import read_wfdb
from merl_core.data.splits import apply_split, read_split

TASK_DIRS = {"super": "super_class", "sub": "sub_class", "form": "form", "rhythm": "rhythm"}


def test_lead_mapping_is_by_name() -> None:
    mimic_order = ["I", "II", "III", "aVR", "aVF", "aVL", "V1", "V2", "V3", "V4", "V5", "V6"]
    perm = lead_permutation(mimic_order)
    assert [mimic_order[i] for i in perm] == list(LEADS)
    assert canonical_name("AVL") == "aVL"
    with pytest.raises(ValueError, match="missing lead"):
        lead_permutation(mimic_order[:11])


@pytest.mark.parametrize("ecg_id", [1, 17, 250])
@pytest.mark.parametrize("fs", [100, 500])
def test_records_match_wfdb_sample_for_sample(ptbxl_root: Path, ecg_id: int, fs: int) -> None:
    src = ptbxl_source(ptbxl_root, fs=fs)
    ref = src.records[[r.id for r in src.records].index(str(ecg_id))]
    x, got_fs = read_wfdb(ref.path)
    rec = wfdb.rdrecord(ref.path)
    assert got_fs == fs and x.shape == (12, 10 * fs)
    for j, name in enumerate(rec.sig_name):
        np.testing.assert_array_equal(x[LEADS.index(canonical_name(name))], rec.p_signal[:, j])
    # the unnormalised 500 Hz model input is the file itself
    raw = preprocess(x, got_fs, PreprocessConfig(normalize="none"))
    if fs == 500:
        np.testing.assert_allclose(raw, x.astype(np.float32))
    else:  # resampled 100 -> 500 Hz keeps the samples' scale
        assert raw.shape == (12, 5000)
        assert abs(float(raw.std()) - float(x.std())) < 0.1 * float(x.std())


def test_reports_and_folds(ptbxl_root: Path) -> None:
    src = ptbxl_source(ptbxl_root)
    assert len(src.records) == 500
    assert src.records[0].report == "sinusrhythmus periphere niederspannung"
    assert set(src.info["strat_fold"]) == set(range(1, 11))
    assert len(src.label_names) == 71


@pytest.mark.parametrize("task", list(TASK_DIRS))
def test_task_labels_agree_with_split_files(ptbxl_root: Path, splits_root: Path, task: str) -> None:
    db, statements = read_database(ptbxl_root)
    names, m = label_matrix(db, statements, task)
    pos = {str(i): r for r, i in enumerate(db.index)}
    d = TASK_DIRS[task]
    checked = 0
    for part in ("train", "val", "test"):
        split = read_split(splits_root / "ptbxl" / d / f"ptbxl_{d}_{part}.csv")
        assert set(split.label_names) <= set(names)
        cols = [names.index(n) for n in split.label_names]
        for k, rid in enumerate(split.ids):
            if rid in pos:
                np.testing.assert_array_equal(m[pos[rid], cols], split.labels[k], err_msg=rid)
                checked += 1
    assert checked > 100


def test_sub_class_column_order_handled(ptbxl_root: Path, splits_root: Path) -> None:
    d = splits_root / "ptbxl" / "sub_class"
    train = read_split(d / "ptbxl_sub_class_train.csv")
    test = read_split(d / "ptbxl_sub_class_test.csv")
    assert set(train.label_names) == set(test.label_names)
    assert train.label_names != test.label_names  # the files really differ in order
    src = ptbxl_source(ptbxl_root, task="sub")
    for split in (train, test):
        sub = apply_split(src, split, "published")
        assert sub.label_names == split.label_names
        rebuilt = apply_split(src, split, "rebuilt")  # PTB-XL: the reader's own labels
        np.testing.assert_array_equal(sub.labels, rebuilt.labels)
    # a column that moved: its values follow the name, not the position
    j_tr, j_te = train.label_names.index("ISC"), test.label_names.index("ISC")
    assert j_tr != j_te
