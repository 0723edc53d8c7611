"""Challenge-format reader, #Dx → CPSC2018/CSN label columns, CSN published vs rebuilt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from merl_core.cli import app
from merl_core.data.challenge import CPSC2018_CODES, challenge_source, read_csn_table
from merl_core.data.splits import apply_split, compare_labels, read_split, split_labels


def test_cpsc2018_codes_are_the_challenge_tables(challenge_root: Path) -> None:
    dx = pd.concat([pd.read_csv(challenge_root / f"dx_mapping_{k}.csv", dtype=str)
                    for k in ("scored", "unscored")])  # fmt: skip
    abbr = dict(zip(dx["Abbreviation"], dx["SNOMEDCTCode"], strict=True))
    expect = {"AFIB": "AF", "NORM": "NSR", "1AVB": "IAVB", "CRBBB": "RBBB", "STE": "STE",
              "PAC": "PAC", "CLBBB": "LBBB", "STD": "STD", "VPC": "PVC"}  # fmt: skip
    for col, ab in expect.items():
        assert abbr[ab] in CPSC2018_CODES[col], col


def test_cpsc2018_dx_match_icbeb_columns(challenge_root: Path, splits_root: Path) -> None:
    src = challenge_source(challenge_root / "CPSC_CPSC-Extra", "cpsc2018")
    assert [r.id for r in src.records] == [f"A{i:04d}" for i in range(1, 11)]
    checked = 0
    for part in ("train", "val", "test"):
        split = read_split(splits_root / "icbeb" / f"icbeb_{part}.csv")
        sub = apply_split(src, split, "published")
        ours = apply_split(src, split, "rebuilt")  # from #Dx
        np.testing.assert_array_equal(ours.labels, sub.labels)
        checked += len(sub.records)
    assert checked == 10


def test_csn_dx_match_chapman_diagnose(
    challenge_root: Path, splits_root: Path, data_root: Path
) -> None:
    table = read_csn_table(data_root / "chapman-shaoxing" / "ConditionNames_SNOMED-CT.csv")
    assert table["AFIB"] == "164889003" and table["AF"] == "164890007"
    src = challenge_source(challenge_root / "ChapmanShaoxing_Ningbo", "csn")
    assert len(src.label_names) == 38
    checked = 0
    for part in ("train", "val", "test"):
        split = read_split(splits_root / "chapman" / f"chapman_{part}.csv")
        sub = apply_split(src, split, "rebuilt")
        ours = apply_split(src, split, "published")
        pos = {r.id: i for i, r in enumerate(src.records)}
        for k, rec in enumerate(sub.records):
            # every acronym of the record's diagnose that is a column is set from #Dx
            mine = src.labels[pos[rec.id]]
            for j, name in enumerate(sub.label_names):
                if sub.labels[k, j] == 1:
                    assert mine[src.label_names.index(name)] == 1, (rec.id, name)
            checked += 1
        assert len(ours.records) == len(sub.records)
    assert checked >= 5


def test_rebuilt_csn_differs_exactly_where_substring_matching_misfires(splits_root: Path) -> None:
    split = read_split(splits_root / "chapman" / "chapman_train.csv")
    pub, reb = split.labels, split_labels(split, "rebuilt")
    j_af = split.label_names.index("AF")
    afib_only = [i for i, d in enumerate(split.diagnose) if d == "AFIB"]
    assert afib_only and (pub[afib_only, j_af] == 1).all() and (reb[afib_only, j_af] == 0).all()
    assert ((reb == 1) & (pub == 0)).sum() == 0  # rebuilding never adds a label
    rows, cols = np.nonzero((pub == 1) & (reb == 0))
    for r, c in zip(rows, cols, strict=True):
        name = split.label_names[c]
        tokens = [t.strip() for t in split.diagnose[r].split(",")]
        assert name not in tokens and any(name in t for t in tokens), (r, name)
    df = compare_labels(split).set_index("label")
    assert (df.loc["AF", "published"], df.loc["AF", "rebuilt"]) == (3383, 2391)
    assert (df.loc["ST", "published"], df.loc["ST", "rebuilt"]) == (4553, 3720)
    assert (df.loc["VB", "published"], df.loc["VB", "rebuilt"]) == (665, 3)


def test_check_splits_cli(splits_root: Path) -> None:
    val = splits_root / "chapman" / "chapman_val.csv"
    res = CliRunner().invoke(app, ["check-splits", str(val)])
    assert res.exit_code == 0, res.output
    assert "AFIB" in res.output and "classes differ" in res.output
    bad = CliRunner().invoke(app, ["check-splits", str(splits_root / "icbeb" / "icbeb_val.csv")])
    assert bad.exit_code == 2 and "diagnose" in bad.output  # bad input


def test_prepare_with_split_file_cli(
    challenge_root: Path, splits_root: Path, tmp_path: Path
) -> None:
    from merl_core.data.cache import ECGCache

    split = splits_root / "chapman" / "chapman_train.csv"
    args = ["prepare", "csn", "--root", str(challenge_root / "ChapmanShaoxing_Ningbo"),
            "--split-file", str(split), "--no-progress", "--out"]  # fmt: skip
    for mode in ("published", "rebuilt"):
        res = CliRunner().invoke(app, [*args, str(tmp_path / mode), "--labels", mode])
        assert res.exit_code == 0, res.output
    pub, reb = ECGCache(tmp_path / "published"), ECGCache(tmp_path / "rebuilt")
    assert pub.ids == reb.ids and len(pub.ids) >= 3
    assert pub.meta["counts"]["missing"] > 16000  # split rows not in the sample: reported
    assert pub.meta["params"]["labels"] == "published"
    assert reb.meta["params"]["labels"] == "rebuilt"
    assert pub.fingerprint != reb.fingerprint
    i = pub.ids.index("JS00007")  # diagnose "AFIB,TWC": published AF (substring), rebuilt not
    j = pub.label_names.index("AF")
    assert pub.labels[i, j] == 1 and reb.labels[i, j] == 0
    # upstream's CPSC2018 option: first 2500 samples, then zeros
    res = CliRunner().invoke(app, ["prepare", "cpsc2018", "--root",
                                   str(challenge_root / "CPSC_CPSC-Extra"), "--crop", "first2500",
                                   "--no-progress", "--out", str(tmp_path / "cpsc")])  # fmt: skip
    assert res.exit_code == 0, res.output
    cpsc = ECGCache(tmp_path / "cpsc")
    assert cpsc.meta["preprocessing"]["crop"] == "first2500"
    assert (cpsc.signals[:, :, 2500:] == 0).all() and cpsc.signals[:, :, :2500].std() > 0
    assert cpsc.label_names[:3] == ["AFIB", "VPC", "NORM"]
