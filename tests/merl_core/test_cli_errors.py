"""One exit-code policy for merl-core: bad input is one line and exit 2, a bug keeps its trace."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ckepe.promptfile import PromptFileError
from merl_core.cli import app
from merl_core.cli.errors import EXIT_USAGE, handle_errors
from merl_core.errors import MerlCoreError
from merl_core.models import UnknownModelError


def _app(exc: Exception) -> typer.Typer:
    demo = typer.Typer()

    @demo.command()
    def run(name: str = "x") -> None:
        raise exc

    @demo.command()
    def other() -> None:
        """A second command, so typer keeps sub-command names."""

    for command in demo.registered_commands:
        assert command.callback is not None
        command.callback = handle_errors(command.callback)
    return demo


def test_user_errors_are_one_line_and_exit_2() -> None:
    for exc in (MerlCoreError("cfg.yaml: batch_size must be >= 1"),
                PromptFileError("p.json: invalid JSON\nat line 3"),
                UnknownModelError("unknown model 'resnet1d19'; valid: resnet1d18")):  # fmt: skip
        res = CliRunner().invoke(_app(exc), ["run"])
        assert res.exit_code == EXIT_USAGE == 2
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), res.output
        assert "Traceback" not in res.output and "'unknown" not in res.output


def test_a_bug_is_not_swallowed() -> None:
    res = CliRunner().invoke(_app(RuntimeError("boom")), ["run"])
    assert res.exit_code == 1 and isinstance(res.exception, RuntimeError)


def test_every_merl_core_command_runs_inside_the_handler() -> None:
    assert app.registered_commands
    for command in app.registered_commands:
        assert getattr(command.callback, "__wrapped__", None) is not None, command.name


def test_pretrain_without_a_cache_is_bad_input(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["pretrain", "--cache", str(tmp_path / "none"),
                                   "--out", str(tmp_path / "run")])  # fmt: skip
    assert res.exit_code == 2 and "error: " in res.output and "none" in res.output


@pytest.mark.parametrize("command", ["compare-prompts", "zeroshot", "pretrain"])
def test_a_bug_inside_a_command_keeps_its_traceback(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ValueError or KeyError from the library is a bug, not bad input: no exit 2."""
    import merl_core.eval.compare as compare
    import merl_core.eval.runner as runner
    import merl_core.train.config as config

    def bug(*args: object, **kwargs: object) -> None:
        raise ValueError("an internal bug")

    def key_bug(*args: object, **kwargs: object) -> None:
        raise KeyError("missing-internal-key")

    monkeypatch.setattr(compare, "run_compare", bug)
    monkeypatch.setattr(runner, "open_zeroshot", bug)
    monkeypatch.setattr(config, "load_config", key_bug)
    p, c, d = (str(tmp_path / n) for n in ("p.json", "ckpt", "data"))
    args = {
        "compare-prompts": ["--prompts", p, "--checkpoint", c, "--data", d],
        "zeroshot": ["--prompts", p, "--checkpoint", c, "--data", d],
        "pretrain": ["--cache", d, "--out", str(tmp_path / "run")],
    }[command]
    res = CliRunner().invoke(app, [command, *args])
    assert res.exit_code == 1, res.output
    assert isinstance(res.exception, ValueError | KeyError), res.output


def test_every_error_class_is_under_its_package_base() -> None:
    """Each exception class defined in merl_core is a MerlCoreError, in ckepe a CkepeError."""
    import ast
    import importlib

    from ckepe.errors import CkepeError

    root = Path(__file__).resolve().parents[2]
    bases = {"merl_core": MerlCoreError, "ckepe": CkepeError}
    wrong = []
    for package, base in bases.items():
        for path in sorted((root / package).rglob("*.py")):
            names = [n.name for n in ast.parse(path.read_text("utf-8")).body
                     if isinstance(n, ast.ClassDef)]  # fmt: skip
            if not names:
                continue
            mod = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
            module = importlib.import_module(mod)
            for name in names:
                cls = getattr(module, name)
                if isinstance(cls, type) and issubclass(cls, Exception) and cls is not base:
                    if not issubclass(cls, base):
                        wrong.append(f"{mod}.{name}")
    assert wrong == []


def test_both_command_lines_share_one_handler() -> None:
    from ckepe.cli import user_errors

    assert user_errors.__code__ is handle_errors.__code__  # both made by ckepe.cli_app
    # merl-core's messages get ckepe's escaping too: a terminal escape in a file name
    res = CliRunner().invoke(_app(MerlCoreError("evil\x1b[2J.json: not found")), ["run"])
    assert res.exit_code == 2 and "\x1b" not in res.output and "\\x1b[2J" in res.output
