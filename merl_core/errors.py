"""The base of every error merl_core raises for bad input (a file, a setting, a dataset).

The command line turns any :class:`MerlCoreError` into a one-line message and exit code 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class MerlCoreError(Exception):
    """Bad input to merl_core: the message names the file or setting and the problem."""
