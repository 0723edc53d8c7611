"""Moved to :mod:`merl_core.eval.runner` (the library); kept so old imports still work."""

from merl_core.eval.runner import *  # noqa: F403
from merl_core.eval.runner import (  # noqa: F401 - names other modules import from here
    USER_ERRORS,
    load_eval_model,
    parse_ratios,
    zeroshot_on_cache,
)
