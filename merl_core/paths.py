"""Where the real public ECG data lives: one setting, ``MERL_DATA_ROOT``.

The default is ``../shared/data`` beside the project root (the layout of this project's
development machines). Tests and benchmarks ask :func:`shared_data_root`; nothing copies
the data into the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_ROOT_ENV = "MERL_DATA_ROOT"
DATA_HELP = (
    "real ECG sample data not found at {path}; set MERL_DATA_ROOT to a folder holding "
    "ptbxl-sample/ (PTB-XL v1.0.3 from https://physionet.org/content/ptb-xl/), "
    "challenge2021-sample/ (https://physionet.org/content/challenge-2021/), merl-splits/ "
    "(the MERL paper's split files) and chapman-shaoxing/"
)


def shared_data_root() -> Path:
    """Return the configured data root (it may not exist; see :func:`require_data`)."""
    env = os.environ.get(DATA_ROOT_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return (PROJECT_ROOT.parent / "shared" / "data").resolve()
