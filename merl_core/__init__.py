"""merl_core: ECG encoders, CMA + UMA pretraining and the zero-shot / linear-probe harness.

Importing this package is cheap (no torch): heavy modules are imported where used.
"""

__version__ = "0.1.0"
