"""The PTB-XL sample study: does CKEPE beat plain class names?

Run ``python -m studies.ptbxl_sample``. Modules: ``prepare`` (configuration, caches, prompt
sets), ``run`` (one seed: pretraining and every arm), ``baseline`` (the random-init
reference), ``paired`` (paired bootstrap differences), ``report`` (tables, verdicts, figure),
``curve`` (the learning curve), ``commands`` (the user commands on the first seed's model),
``study`` (the command line). Results go to ``benchmarks/results`` unless ``--results-dir``
says otherwise.
"""
