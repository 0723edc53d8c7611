"""The manifest that scales: per-record data in memory-mapped columns, a summary in
manifest.json; old (format 2) caches still read; damaged columns refused with one line."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from merl_core.data.cache import CacheError, ECGCache
from merl_core.data.columns import StringColumn, write_strings
from merl_core.data.datasets import build_source, prepare
from merl_core.data.torch_dataset import cache_dataset
from tests.merl_core.test_data_cache import mini_ptbxl

PER_RECORD = ("ids", "reports", "labels", "source_sha256", "skipped", "zeroed_leads")


def test_string_column_round_trip_and_pickles_as_paths(tmp_path: Path) -> None:
    values = ["", "sinus rhythm", "Sinusrhythmus. Linkstyp. Überdrehter", "x" * 5000, "é"]
    write_strings(tmp_path, "r", values)
    col = StringColumn(tmp_path / "r.bin", tmp_path / "r.idx.npy")
    assert len(col) == 5 and list(col) == values and col[-1] == "é" and col[1:3] == values[1:3]
    assert col == values and [col[i] for i in range(5)] == values
    with pytest.raises(IndexError):
        col[5]
    blob = pickle.dumps(col)
    assert len(blob) < 400  # the file names, not the strings
    assert pickle.loads(blob) == values
    assert list(np.asarray(col)) == values


def test_cache_columns_hold_the_records_and_the_manifest_only_a_summary(
    ptbxl_root: Path, tmp_path: Path
) -> None:
    root = mini_ptbxl(ptbxl_root, tmp_path / "ptbxl", tuple(range(1, 9)))
    out = prepare("ptbxl", root, tmp_path / "c", task="super", progress=False)
    doc = json.loads((out / "manifest.json").read_text())
    assert not set(PER_RECORD) & set(doc) and doc["format_version"] == 3
    assert doc["has_reports"] and doc["n"] == 8
    src = build_source("ptbxl", root, task="super")
    cache = ECGCache(out)
    assert isinstance(cache.ids, StringColumn) and cache.ids == [r.id for r in src.records]
    assert cache.reports == [r.report for r in src.records]
    np.testing.assert_array_equal(cache.labels, src.labels)  # NaN where unknown, too
    assert isinstance(cache.labels, np.memmap)
    names, all_labels = cache.task_labels("all")
    np.testing.assert_array_equal(all_labels, src.extra_tasks["all"][1])
    assert cache.meta["source_sha256"]["3"] and len(cache.meta["source_sha256"]) == 8
    assert cache.skipped == [] and cache.zeroed_leads == {}
    ds = pickle.loads(pickle.dumps(cache_dataset(cache, indices=[2, 5])))  # as a spawned worker
    assert ds[1]["report"] == src.records[5].report


def _legacy(out: Path) -> None:
    """Rewrite a format-3 cache as format 2 did: every per-record list in manifest.json."""
    cache = ECGCache(out)
    doc = json.loads((out / "manifest.json").read_text())
    cols = doc.pop("columns")
    doc.pop("has_reports")

    def rows(m: np.ndarray) -> list[list[float | None]]:
        return [[None if np.isnan(v) else float(v) for v in r] for r in m]

    doc.update(format_version=2, ids=list(cache.ids), reports=list(cache.reports or []),
               labels=rows(cache.labels), source_sha256=dict(cache.meta["source_sha256"]),
               tasks={t: {"label_names": n, "labels": rows(m)} for t, (n, m) in
                      cache.tasks.items()}, skipped=cache.skipped, missing=[],
               zeroed_leads={}, resampled_from={})  # fmt: skip
    assert "ids" in cols
    (out / "manifest.json").write_text(json.dumps(doc))
    del cache


def test_a_format_2_cache_is_still_read(synthetic_cache: Path, tmp_path: Path) -> None:
    import shutil

    new = ECGCache(synthetic_cache)
    old = tmp_path / "old"
    shutil.copytree(synthetic_cache, old, ignore=shutil.ignore_patterns(".*"))
    _legacy(old)
    shutil.rmtree(old / "columns")
    legacy = ECGCache(old)
    assert isinstance(legacy.ids, list) and legacy.ids == list(new.ids)
    assert legacy.reports == list(new.reports or [])
    np.testing.assert_array_equal(legacy.labels, new.labels)
    assert dict(legacy.meta["source_sha256"]) == dict(new.meta["source_sha256"])
    before = (old / "manifest.json").read_bytes()  # same content version: reused, not rebuilt
    prepare("synthetic", None, old, n=16, seed=0, progress=False)
    assert (old / "manifest.json").read_bytes() == before and not (old / "columns").exists()


def test_damaged_or_unknown_columns_are_refused_in_one_line(
    synthetic_cache: Path, tmp_path: Path
) -> None:
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(synthetic_cache, bad, ignore=shutil.ignore_patterns(".*"))
    blob = bad / "columns" / "reports.bin"
    blob.write_bytes(blob.read_bytes()[:-3])
    with pytest.raises(CacheError, match=r"reports\.bin: \d+ bytes, the manifest says"):
        ECGCache(bad)
    doc = json.loads((bad / "manifest.json").read_text())
    doc.pop("columns")
    (bad / "manifest.json").write_text(json.dumps(doc))
    with pytest.raises(CacheError, match="format version 3 not readable.*prepare the cache again"):
        ECGCache(bad)
