"""ckepe: Clinical Knowledge Enhanced Prompt Engineering for ECG zero-shot classification.

ckepe never imports torch: building and auditing prompt sets is light work.
"""

__version__ = "0.1.0"
