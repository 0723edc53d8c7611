"""Checkpoints without pickle: safetensors for tensors, JSON for everything else.

A checkpoint is a folder::

    config.json          model architecture (ModelConfig) + metadata (lead order, fs,
                         normalisation, label set, data cache, ...) + which parts it holds
    model.safetensors    weights
    state.safetensors    optimiser moments + RNG states            (training checkpoints)
    trainer_state.json   step, epoch, optimiser hyper-parameters, scaler, RNG rest

Folders are written under a temporary name and renamed into place, so a crash never leaves
a half-written checkpoint. A run folder holds ``step_XXXXXXX/`` folders and a ``latest``
file naming the newest.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from ckepe.fileio import atomic_write_json, atomic_write_text
from merl_core.errors import MerlCoreError
from merl_core.models.merl import MERLModel
from merl_core.models.registry import ModelConfig

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
LATEST = "latest"


class CheckpointError(MerlCoreError, ValueError):
    """A checkpoint folder is missing, incomplete or inconsistent."""


def _atomic_dir(final: Path, fill: Any) -> Path:
    """Create ``final`` by filling a temporary sibling folder and renaming it into place."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    fill(tmp)
    if final.exists():
        old = final.parent / f".{final.name}.old-{os.getpid()}"
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)
    return final


def _state_tensors(model: torch.nn.Module, prefix: str = "") -> dict[str, torch.Tensor]:
    sd = model.state_dict()
    return {k: v.detach().cpu().contiguous() for k, v in sd.items() if k.startswith(prefix)}


def _optimizer_split(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    rest: dict[str, Any] = {"param_groups": sd["param_groups"], "state": {}}
    for pid, st in sd["state"].items():
        rest["state"][str(pid)] = {}
        for k, v in st.items():
            if isinstance(v, torch.Tensor):
                tensors[f"optim/{pid}/{k}"] = v.detach().cpu().contiguous()
            else:
                rest["state"][str(pid)][k] = v
    return tensors, rest


def _optimizer_join(tensors: dict[str, torch.Tensor], rest: dict) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {int(p): dict(v) for p, v in rest["state"].items()}
    for key, t in tensors.items():
        if key.startswith("optim/"):
            _, pid, name = key.split("/", 2)
            state.setdefault(int(pid), {})[name] = t
    return {"state": state, "param_groups": rest["param_groups"]}


def save_checkpoint(
    path: str | Path,
    model: MERLModel,
    config: ModelConfig | dict[str, Any] | None = None,
    *,
    meta: dict[str, Any] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    trainer_state: dict[str, Any] | None = None,
    rng_tensors: dict[str, torch.Tensor] | None = None,
    ecg_only: bool = False,
) -> Path:
    """Write a checkpoint folder atomically and return its path."""
    cfg = config if config is not None else model.config
    cfg_dict = cfg.to_dict() if isinstance(cfg, ModelConfig) else dict(cfg)
    weights = _state_tensors(model, "ecg." if ecg_only else "")
    doc = {
        "format_version": FORMAT_VERSION,
        "model": cfg_dict,
        "components": ["ecg"] if ecg_only or model.text is None else ["ecg", "text"],
        "meta": {**getattr(model, "meta", {}), **(meta or {})},
    }

    def fill(tmp: Path) -> None:
        save_file(weights, str(tmp / "model.safetensors"))
        atomic_write_json(tmp / "config.json", doc, sort_keys=True)
        if optimizer is not None or trainer_state is not None:
            tensors, rest = _optimizer_split(optimizer) if optimizer else ({}, None)
            tensors.update(rng_tensors or {})
            save_file(tensors, str(tmp / "state.safetensors"))
            atomic_write_json(tmp / "trainer_state.json",
                              {**(trainer_state or {}), "optimizer": rest}, sort_keys=True)

    return _atomic_dir(Path(path), fill)


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint folder from itself or from a run folder (its ``latest``)."""
    path = Path(path)
    if (path / "config.json").is_file():
        return path
    if (path / LATEST).is_file():
        return path / (path / LATEST).read_text(encoding="utf-8").strip()
    raise CheckpointError(f"{path}: not a checkpoint folder (no config.json) nor a run folder")


def read_config(path: str | Path) -> dict[str, Any]:
    """The ``config.json`` document of a checkpoint."""
    ckpt = resolve_checkpoint(path)
    try:
        doc = json.loads((ckpt / "config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{ckpt / 'config.json'}: unreadable ({exc})") from exc
    if doc.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{ckpt}: unsupported format_version {doc.get('format_version')}")
    return doc


def load_model(path: str | Path, *, map_location: str = "cpu") -> MERLModel:
    """Rebuild a :class:`MERLModel` from a checkpoint (or run) folder; never unpickles."""
    ckpt = resolve_checkpoint(path)
    doc = read_config(ckpt)
    cfg = ModelConfig.from_dict(doc["model"])
    has_text = "text" in doc.get("components", [])
    model = MERLModel(cfg, text=has_text, load_text_weights=False)
    weights = load_file(str(ckpt / "model.safetensors"), device=map_location)
    try:
        missing, unexpected = model.load_state_dict(weights, strict=False)
    except RuntimeError as exc:  # shape mismatch: config and weights disagree
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        detail = next((ln for ln in lines if "mismatch" in ln), lines[0] if lines else "")
        raise CheckpointError(f"{ckpt}: weights do not fit {cfg.name}: {detail}") from exc
    missing = [k for k in missing if has_text or k.startswith("ecg.")]
    if missing or unexpected:
        raise CheckpointError(
            f"{ckpt}: weights do not match {cfg.name} (missing {missing[:3]}, "
            f"unexpected {unexpected[:3]})"
        )
    model.meta = doc.get("meta", {})
    return model.to(map_location)


def load_training_state(
    path: str | Path, optimizer: torch.optim.Optimizer | None = None
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Restore ``optimizer`` in place; return the trainer state and the RNG tensors."""
    ckpt = resolve_checkpoint(path)
    try:
        state = json.loads((ckpt / "trainer_state.json").read_text(encoding="utf-8"))
        tensors = load_file(str(ckpt / "state.safetensors"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{ckpt}: no training state to resume from ({exc})") from exc
    if optimizer is not None and state.get("optimizer") is not None:
        optimizer.load_state_dict(_optimizer_join(tensors, state["optimizer"]))
    rng = {k: v for k, v in tensors.items() if k.startswith("rng/")}
    return state, rng


def write_latest(run_dir: str | Path, ckpt: Path, keep_last: int = 2) -> None:
    """Point ``run_dir/latest`` at ``ckpt`` atomically and prune older step folders."""
    run_dir = Path(run_dir)
    atomic_write_text(run_dir / LATEST, ckpt.name + "\n")
    steps = sorted(p for p in run_dir.glob("step_*") if p.is_dir())
    for old in steps[:-keep_last] if keep_last > 0 else []:
        if old.name != ckpt.name:
            shutil.rmtree(old, ignore_errors=True)


def export_ecg_encoder(src: str | Path, out: str | Path) -> Path:
    """Write the ECG encoder of a checkpoint alone (weights + config) to ``out``."""
    model = load_model(src)
    return save_checkpoint(out, model, ecg_only=True, meta={"exported_from": str(src)})
