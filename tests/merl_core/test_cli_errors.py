"""One exit-code policy for merl-core: bad input is one line and exit 2, a bug keeps its trace."""

from __future__ import annotations

from pathlib import Path

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
