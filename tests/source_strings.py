"""The string constants a module writes, docstrings aside (for tests that hold code to what
it may name: dataset names, command-line options)."""

from __future__ import annotations

import ast


def string_constants(source: str) -> list[ast.Constant]:
    """Every string constant of ``source`` that is not a module, class or function docstring."""
    tree = ast.parse(source)
    docs = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)
    }  # fmt: skip
    return [n for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str) and id(n) not in docs]  # fmt: skip
