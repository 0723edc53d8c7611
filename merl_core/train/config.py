"""Pretraining configuration: one pydantic model, read from YAML, overridable with key=value."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from merl_core.errors import MerlCoreError


class ConfigError(MerlCoreError, ValueError):
    """A configuration file or override that cannot be used."""


class PretrainConfig(BaseModel):
    """Everything a ``merl-core pretrain`` run needs (defaults follow the published MERL)."""

    model_config = ConfigDict(extra="forbid")

    model: str = "resnet1d18"
    model_overrides: dict[str, Any] = Field(default_factory=dict)
    cache: Path | None = None
    limit: int | None = Field(None, ge=1, description="use only the first N records")
    out: Path = Path("runs/pretrain")
    epochs: int = Field(1, ge=1)
    max_steps: int | None = Field(None, ge=1, description="stop after this many steps")
    batch_size: int = Field(32, ge=1, description="pairs per process per step")
    lr: float = Field(1e-3, gt=0)
    weight_decay: float = Field(1e-8, ge=0)
    betas: tuple[float, float] = (0.9, 0.999)
    scheduler: Literal["cosine", "cosine_restarts", "constant"] = "cosine"
    warmup_steps: int = Field(0, ge=0)
    restart_steps: int = Field(1000, ge=1, description="cycle length for cosine_restarts")
    min_lr: float = Field(0.0, ge=0)
    grad_clip: float | None = Field(1.0, description="max grad norm; null/0 = off")
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    compile: bool = False
    seed: int = 42
    num_workers: int = Field(0, ge=0)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = Field(None, ge=1, description="torch CPU threads per process")
    gather: Literal["grad", "nograd"] = "grad"
    ckpt_every: int = Field(0, ge=0, description="checkpoint every N steps (0 = end only)")
    keep_last: int = Field(2, ge=1)
    log_every: int = Field(1, ge=1)
    tensorboard: bool = True
    progress: bool = True
    resume: str | None = Field(None, description="checkpoint/run folder, or 'auto'")
    stop_after: int | None = Field(
        None, ge=1, description="fault injection: stop after this step without a final save"
    )


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"--set {key}: {part} is not a mapping")
    node[parts[-1]] = value


def load_config(
    path: str | Path | None = None, overrides: list[str] | None = None, **options: Any
) -> PretrainConfig:
    """Read a YAML config (optional), apply ``key=value`` overrides, then explicit options.

    Raises:
        ConfigError: unreadable YAML, a malformed override or an invalid value.
    """
    data: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read config ({exc})") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{path}: config must be a mapping, not {type(loaded).__name__}")
        data = loaded or {}
    for item in overrides or []:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected key=value")
        key, raw = item.split("=", 1)
        _set_dotted(data, key.strip(), yaml.safe_load(raw) if raw else None)
    data.update({k: v for k, v in options.items() if v is not None})
    try:
        return PretrainConfig(**data)
    except ValidationError as exc:
        where = f"{path}: " if path else ""
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{where}invalid config: {loc}: {first['msg']}") from exc


def dump_config(cfg: PretrainConfig, path: str | Path) -> None:
    """Write the resolved config as YAML (for the run folder)."""
    Path(path).write_text(yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False))
