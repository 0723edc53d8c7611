"""The ``ckepe`` command line: build and audit clinical-knowledge prompt sets."""

from __future__ import annotations

from typing import Annotated

import typer

from ckepe import __version__

app = typer.Typer(
    name="ckepe",
    help="Clinical Knowledge Enhanced Prompt Engineering for zero-shot ECG classification.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ckepe {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Clinical Knowledge Enhanced Prompt Engineering for zero-shot ECG classification."""
