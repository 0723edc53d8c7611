"""merl_core: ECG encoders, CMA + UMA pretraining and the zero-shot / linear-probe harness.

Importing this package is cheap (no torch): heavy modules are imported where used.
"""

import os as _os

__version__ = "0.1.0"

# Nothing leaves the machine at run time: the Hugging Face clients read these once, when they
# are first imported, so they are set here, before any merl_core module imports them. Models
# are also loaded with local_files_only=True (merl_core.models.text), which holds even where
# the user imported transformers before merl_core.
for _name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
    _os.environ.setdefault(_name, "1")
