"""The exit-code policy of ``merl-core``: ckepe.cli_app's, shared by both command lines.

0: done. 1: the command ran and found problems (a failed check). 2: bad input or usage
(a missing or malformed file, an unknown name, an impossible setting); the message is one
line on stderr naming the file or setting, without a traceback. Any other exception is a
bug and keeps its traceback.
"""

from __future__ import annotations

import logging

from ckepe.cli_app import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, error_handler, fail, one_line
from ckepe.promptfile import PromptFileError
from merl_core.errors import MerlCoreError

__all__ = ["EXIT_FINDINGS", "EXIT_OK", "EXIT_USAGE", "USER_ERRORS", "fail", "handle_errors",
           "one_line", "setup_logging"]  # fmt: skip

# Errors of bad input: merl_core's own, and ckepe's prompt-file reader (merl_core reads
# prompt files through it).
USER_ERRORS: tuple[type[Exception], ...] = (MerlCoreError, PromptFileError)
# Wraps every merl-core command: a user error ends it with one line and exit code 2.
handle_errors = error_handler(*USER_ERRORS)


def setup_logging(verbose: bool = False, rank: int = 0) -> None:
    """The one logging set-up of the command line, to stderr: INFO (DEBUG with ``verbose``);
    under DDP rank 0 alone tells the story, the other ranks speak only of problems."""
    level = logging.DEBUG if verbose else logging.INFO
    if rank != 0:
        level = logging.WARNING
    tag = "" if rank == 0 else f"[rank {rank}] "
    logging.basicConfig(level=level, format=f"%(levelname)s {tag}%(name)s: %(message)s")
    logging.getLogger().setLevel(level)
