"""Split files checked against the label set of their dataset and task (real published files,
damaged copies in tmp_path)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ckepe.labelsets import load_labelset
from merl_core.cli import app
from merl_core.data.splits import SplitError, read_split

pytestmark = pytest.mark.data


def _published(splits_root: Path) -> list[Path]:
    return sorted(splits_root.rglob("*.csv"))


def test_every_published_split_reads_with_its_label_set(splits_root: Path) -> None:
    files = _published(splits_root)
    assert len(files) == 18
    for path in files:
        split = read_split(path)
        key = split.task or "default"
        assert sorted(split.label_names) == sorted(
            e.label for e in load_labelset(split.dataset, key)
        ), path
    sub = {p: read_split(splits_root / "ptbxl" / "sub_class" / f"ptbxl_sub_class_{p}.csv")
           for p in ("train", "val")}  # fmt: skip
    assert sub["train"].label_names != sub["val"].label_names  # another column order…
    assert sorted(sub["train"].label_names) == sorted(sub["val"].label_names)  # …same classes
    assert sub["train"].task == "sub"


def _copy(splits_root: Path, rel: str, tmp_path: Path, n: int = 30) -> tuple[Path, pd.DataFrame]:
    df = pd.read_csv(splits_root / rel).head(n)
    return tmp_path / Path(rel).name, df


@pytest.mark.parametrize("rel", ["icbeb/icbeb_test.csv", "chapman/chapman_val.csv",
                                 "ptbxl/form/ptbxl_form_test.csv"])  # fmt: skip
def test_missing_unknown_and_dirty_columns_are_errors(
    splits_root: Path, tmp_path: Path, rel: str
) -> None:
    path, df = _copy(splits_root, rel, tmp_path)
    label = df.columns[-1]
    df.drop(columns=[label]).to_csv(path, index=False)
    with pytest.raises(SplitError, match=rf"{path.name}: missing label column\(s\) '{label}'"):
        read_split(path)
    df.assign(FOO=0).to_csv(path, index=False)
    with pytest.raises(SplitError, match=rf"{path.name}: unknown column\(s\) 'FOO'"):
        read_split(path)
    dirty = df.copy()
    dirty[label] = dirty[label].astype(object)
    dirty.loc[7, label] = 2
    dirty.to_csv(path, index=False)
    with pytest.raises(SplitError, match=rf"column '{label}', row 9 \(record .+\): value '2'"):
        read_split(path)
    dirty.loc[7, label] = None  # a blank cell is not a label either
    dirty.to_csv(path, index=False)
    with pytest.raises(SplitError, match=rf"column '{label}', row 9 .+ an empty cell"):
        read_split(path)


def test_prepare_with_a_dirty_split_exits_2_naming_it(
    splits_root: Path, challenge_root: Path, tmp_path: Path
) -> None:
    path, df = _copy(splits_root, "icbeb/icbeb_test.csv", tmp_path, n=400)
    df["STD"] = df["STD"].astype(object)
    df.loc[3, "STD"] = "yes"
    df.to_csv(path, index=False)
    res = CliRunner().invoke(app, ["prepare", "cpsc2018", "--root", str(challenge_root),
                                   "--split-file", str(path), "--out", str(tmp_path / "c"),
                                   "--no-progress"])  # fmt: skip
    assert res.exit_code == 2
    assert "icbeb_test.csv: column 'STD', row 5" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "c" / "manifest.json").exists()
