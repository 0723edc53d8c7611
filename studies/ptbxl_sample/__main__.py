"""``python -m studies.ptbxl_sample``: run the study (see :mod:`studies.ptbxl_sample.study`)."""

from studies.ptbxl_sample.study import main

raise SystemExit(main())
