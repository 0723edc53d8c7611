"""``python -m merl_core.cli``: the ``merl-core`` command."""

from merl_core.cli import app

app()
