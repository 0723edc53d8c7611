"""One exit-code policy for ``merl-core`` and the one handler that applies it.

0: done. 1: the command ran and found problems (a failed check). 2: bad input or usage
(a missing or malformed file, an unknown name, an impossible setting); the message is one
line on stderr naming the file or setting, without a traceback. Any other exception is a
bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar, cast

import typer

from ckepe.promptfile import PromptFileError
from merl_core.errors import MerlCoreError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
# Errors of bad input: merl_core's own, and ckepe's prompt-file reader (merl_core reads
# prompt files through it).
USER_ERRORS: tuple[type[Exception], ...] = (MerlCoreError, PromptFileError)

F = TypeVar("F", bound=Callable[..., Any])


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line (KeyError's quotes removed)."""
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return " ".join(text.split()) or type(exc).__name__


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``error: message`` to stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def handle_errors(command: F) -> F:
    """Wrap a command so a user error ends it with one line and exit code 2."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except USER_ERRORS as exc:
            fail(one_line(exc))

    return cast(F, run)


def setup_logging(verbose: bool = False, rank: int = 0) -> None:
    """The one logging set-up of the command line, to stderr: INFO (DEBUG with ``verbose``);
    under DDP rank 0 alone tells the story, the other ranks speak only of problems."""
    level = logging.DEBUG if verbose else logging.INFO
    if rank != 0:
        level = logging.WARNING
    tag = "" if rank == 0 else f"[rank {rank}] "
    logging.basicConfig(level=level, format=f"%(levelname)s {tag}%(name)s: %(message)s")
    logging.getLogger().setLevel(level)
