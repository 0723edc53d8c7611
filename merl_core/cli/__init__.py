"""The ``merl-core`` command line: data preparation, pretraining and evaluation."""

from __future__ import annotations

from typing import Annotated

import typer

from merl_core import __version__
from merl_core.cli import data as cli_data
from merl_core.cli import eval as cli_eval
from merl_core.cli import train as cli_train

app = typer.Typer(
    name="merl-core",
    help="MERL: multimodal ECG-report pretraining, zero-shot and linear-probe evaluation.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"merl-core {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """MERL: multimodal ECG-report pretraining, zero-shot and linear-probe evaluation."""


cli_data.register(app)
cli_train.register(app)
cli_eval.register(app)
