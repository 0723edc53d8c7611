"""The base of every error ckepe raises for bad input (a file, a terminology, an LLM reply)."""

from __future__ import annotations


class CkepeError(Exception):
    """Bad input to ckepe: the message names the file or setting and the problem.

    The ``ckepe`` command line turns any CkepeError a command does not handle itself into one
    line on stderr and exit code ``exit_code`` (2: unreadable or invalid input); any other
    exception is a bug and keeps its traceback.
    """

    exit_code: int = 2
