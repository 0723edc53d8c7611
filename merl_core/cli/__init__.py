"""The ``merl-core`` command line: data preparation, pretraining and evaluation.

Exit codes (the README's policy, :mod:`merl_core.cli.errors`): 0 done, 1 findings or a failed
check, 2 bad input or usage. Every command runs inside one error handler that turns
merl_core's (and the prompt-file reader's) errors into a one-line message and exit code 2.
"""

from __future__ import annotations

from ckepe.cli_app import create_app
from merl_core import __version__
from merl_core.cli import data as cli_data
from merl_core.cli import eval as cli_eval
from merl_core.cli import train as cli_train
from merl_core.cli.errors import handle_errors

app = create_app(
    "merl-core",
    "MERL: multimodal ECG-report pretraining, zero-shot and linear-probe evaluation.",
    __version__,
)

cli_data.register(app)
cli_train.register(app)
cli_eval.register(app)
for _command in app.registered_commands:
    if _command.callback is not None:
        _command.callback = handle_errors(_command.callback)
