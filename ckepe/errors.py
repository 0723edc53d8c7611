"""The base of every error ckepe raises for bad input (a file, a terminology, an LLM reply)."""

from __future__ import annotations


class CkepeError(Exception):
    """Bad input to ckepe: the message names the file or setting and the problem."""
