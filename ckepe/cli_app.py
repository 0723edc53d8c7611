"""The typer app both command lines start from (``ckepe`` and ``merl-core``), and their one
error policy.

0: done. 1: the command ran and found problems (an audit with findings, a failed check). 2:
bad input (a missing or malformed file, an unknown name, an impossible setting): one line on
stderr naming the file or setting, control characters shown as escapes, no traceback. Any
other exception is a bug and keeps its traceback. Each command line wraps its commands with
:func:`error_handler` given its package's base error.

Torch-free, so ``merl_core.cli`` builds its app with it too. No ``from __future__ import
annotations`` here: typer evaluates the ``--version`` option's annotation, which names a
function local to :func:`create_app`.
"""

import functools
import re
from collections.abc import Callable
from typing import Annotated, NoReturn, ParamSpec, TypeVar

import typer

from ckepe.textsafety import visible

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
P = ParamSpec("P")
R = TypeVar("R")


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` with each line break and the indentation around it as one
    space (KeyError's quotes removed), or its class name when empty."""
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return re.sub(r"[ \t]*\n\s*", " ", text).strip() or type(exc).__name__


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """``error: message`` as one line on stderr (control characters as escapes), exit ``code``."""
    typer.echo(f"error: {visible(' '.join(message.splitlines()))}", err=True)
    raise typer.Exit(code)


def error_handler(
    *errors: type[Exception],
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A decorator: ``errors`` (bad input) end the command with one line and the error's
    ``exit_code`` (2 unless it says otherwise); anything else propagates with its traceback."""

    def wrap(command: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(command)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return command(*args, **kwargs)
            except errors as exc:
                fail(one_line(exc), getattr(exc, "exit_code", EXIT_USAGE))

        return run

    return wrap


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
