"""Terminology backends: RF2 snapshot (written by the test) and pymedtermino."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ckepe.normalize import normalize_term
from ckepe.terminology import (
    RF2Terminology,
    TerminologyError,
    build_pymedtermino_db,
    load_terminology,
)


def test_rf2_loader_reads_active_is_a_graph(small_rf2: Path) -> None:
    t = RF2Terminology(small_rf2, small_rf2 / "features.tsv")
    assert len(t) == 12  # the inactive concept is dropped
    assert t.get("1000000014") is None
    assert t.version == "INT 20240101"
    assert t.fsn("59118001") == "Right bundle branch block (disorder)"
    assert t.get("59118001").name == "right bundle branch block"
    assert t.synonyms("49436004") == ["AF", "AFIB"]
    assert t.parents("713426002") == ["59118001"]
    assert set(t.children("59118001")) == {"713426002", "713427006"}
    assert t.descendants("6374002") == {"59118001", "713426002", "713427006", "164909002"}
    assert "6374002" in t.ancestors("713426002") and "1000000001" in t.ancestors("713426002")
    # the inactive "LBBB is-a RBBB" row must be ignored
    assert "164909002" not in t.descendants("59118001")
    assert t.depth_below("713426002", "6374002") == 2


def test_find_normalises_case_punctuation_abbreviations(small_rf2: Path) -> None:
    t = RF2Terminology(small_rf2, small_rf2 / "features.tsv")
    assert t.find("RBBB") == ["59118001"]
    assert t.find("right bundle-branch block") == ["59118001"]
    assert t.find("Right bundle branch block (disorder)") == ["59118001"]
    assert t.find("afib") == ["49436004"]
    assert t.find("absent P wave") == ["1000000012"]  # plural / singular
    assert t.find("QRS duration >= 120 msec") == ["1000000010"]
    assert t.find("left ventricular hypertrophy") == []
    assert normalize_term("1st degree A-V block") == normalize_term("first degree AV block")


def test_features_include_descendants(small_rf2: Path) -> None:
    t = RF2Terminology(small_rf2, small_rf2 / "features.tsv")
    own = [f.concept_id for f in t.features("59118001", include_descendants=False)]
    assert own == ["1000000011"]
    allf = [f.concept_id for f in t.features("59118001")]
    assert allf == ["1000000011", "1000000010"]  # the class's own link first
    assert t.features("59118001")[1].class_concept_id == "713427006"
    assert t.features("164909002") == []


def test_content_hash_tracks_the_files(small_rf2: Path) -> None:
    a = RF2Terminology(small_rf2, small_rf2 / "features.tsv").content_hash
    assert a == RF2Terminology(small_rf2, small_rf2 / "features.tsv").content_hash
    with (small_rf2 / "features.tsv").open("a") as fh:
        fh.write("6374002\t1000000010\tqrs\tQRS >= 120 ms\tS1\n")
    t = RF2Terminology(small_rf2, small_rf2 / "features.tsv")
    assert t.content_hash != a
    assert [f.concept_id for f in t.features("6374002", include_descendants=False)] == [
        "1000000010"
    ]


def test_missing_or_broken_release_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TerminologyError, match="does not exist"):
        load_terminology(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TerminologyError, match="sct2_Concept_Snapshot"):
        load_terminology(tmp_path / "empty")


PMT_SCRIPT = """
import json, sys
from ckepe.terminology import load_terminology
t = load_terminology("pymedtermino:" + sys.argv[1], sys.argv[2])
print(json.dumps({"n": len(t), "rbbb": t.find("RBBB"), "desc": sorted(t.descendants("6374002")),
                  "fsn": t.fsn("59118001"), "syn": t.synonyms("49436004"),
                  "feat": [f.concept_id for f in t.features("59118001")],
                  "source": t.source}))
"""


def test_pymedtermino_backend_on_a_database_built_from_rf2(small_rf2: Path, tmp_path: Path) -> None:
    db = build_pymedtermino_db(small_rf2, tmp_path / "pmt")
    assert db.name == "snomedct.sqlite3" and db.stat().st_size > 0
    # pymedtermino opens its database at import time: use a fresh interpreter
    out = subprocess.run(
        [sys.executable, "-c", PMT_SCRIPT, str(tmp_path / "pmt"), str(small_rf2 / "features.tsv")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["n"] == 12
    assert got["rbbb"] == ["59118001"]
    assert got["desc"] == ["164909002", "59118001", "713426002", "713427006"]
    assert got["fsn"] == "Right bundle branch block (disorder)"
    assert got["syn"] == ["AF", "AFIB"]
    assert got["feat"] == ["1000000011", "1000000010"]
    assert got["source"].startswith("pymedtermino:")
