# ruff: noqa: E501  (data table: one record per line)
"""How a label's records are made up: counts of the narrower labels its records carry.

``dataset | task | label | member concept key | member records | label records | source``,
counted on the training split of the published MERL split files (S04) by
``python -m knowledge.kbbuild.report_data``: PTB-XL superclasses by their records' subclasses
(a subclass is represented by its first concept), CSN labels by the acronyms of the
``diagnose`` column whose concept is a strict subtype of the label's concept. The build writes
``knowledge/members.tsv``; the ``report`` prompt style names the members that make up most of
a label's records (ckepe.build).
"""

MEMBER_TABLE = r"""
ptbxl | super | HYP | LVH | 1708 | 2119 | S04
ptbxl | super | HYP | LAE | 341 | 2119 | S04
ptbxl | super | HYP | RVH | 102 | 2119 | S04
ptbxl | super | HYP | RAAB | 79 | 2119 | S04
ptbxl | super | HYP | SEHYP | 24 | 2119 | S04
ptbxl | super | MI | IMI | 2618 | 4379 | S04
ptbxl | super | MI | AMI | 2466 | 4379 | S04
ptbxl | super | MI | LMI | 161 | 4379 | S04
ptbxl | super | MI | PMI | 13 | 4379 | S04
ptbxl | super | CD | FASC | 1437 | 3907 | S04
ptbxl | super | CD | IRBBB | 894 | 3907 | S04
ptbxl | super | CD | AVB | 658 | 3907 | S04
ptbxl | super | CD | NSIVCB | 630 | 3907 | S04
ptbxl | super | CD | CRBBB | 432 | 3907 | S04
ptbxl | super | CD | CLBBB | 428 | 3907 | S04
ptbxl | super | CD | WPW | 64 | 3907 | S04
ptbxl | super | CD | ILBBB | 62 | 3907 | S04
ptbxl | super | STTC | NDT | 1792 | 4186 | S04
ptbxl | super | STTC | ISCNS | 1019 | 4186 | S04
ptbxl | super | STTC | ISCAN | 756 | 4186 | S04
ptbxl | super | STTC | NST | 615 | 4186 | S04
ptbxl | super | STTC | ISCIN | 318 | 4186 | S04
csn | default | 2AVB | MOBITZ1 | 13 | 31 | S04
csn | default | STE | STD | 10 | 295 | S04
csn | default | VPB | VTRIG | 1 | 174 | S04
csn | default | AVB | AVB1 | 510 | 662 | S04
csn | default | AVB | AVB2 | 18 | 662 | S04
csn | default | AVB | MOBITZ1 | 13 | 662 | S04
csn | default | AVB | AVB3 | 1 | 662 | S04
csn | default | SVT | ATACH | 7 | 434 | S04
csn | default | TWC | TINV | 541 | 3288 | S04
"""
