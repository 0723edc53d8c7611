"""The typer app both command lines start from (``ckepe`` and ``merl-core``).

Torch-free, so ``merl_core.cli`` builds its app with it too. No ``from __future__ import
annotations`` here: typer evaluates the ``--version`` option's annotation, which names a
function local to :func:`create_app`.
"""

from typing import Annotated

import typer


def create_app(name: str, help_text: str, version: str) -> typer.Typer:
    """A typer app with the help ``help_text`` and an eager ``--version`` that prints
    ``<name> <version>``; no shell completion, and no locals in tracebacks (they can hold an
    API key)."""
    app = typer.Typer(
        name=name,
        help=help_text,
        no_args_is_help=True,
        pretty_exceptions_show_locals=False,
        add_completion=False,
    )

    def print_version(value: bool) -> None:
        if value:
            typer.echo(f"{name} {version}")
            raise typer.Exit()

    @app.callback()
    def main(
        show_version: Annotated[
            bool,
            typer.Option(
                "--version", callback=print_version, is_eager=True, help="Print the version."
            ),
        ] = False,
    ) -> None:
        """Global options (the app's help is ``help_text``)."""

    return app
