"""The hallucination audit of a prompt set against the terminology.

- ``structure``: ``Finding``, the verdicts, and the judge that reads a phrase as findings;
- ``judge``: ``Knowledge`` (what an audit grounds against) and ``ClassAuditor`` (a verdict
  for every phrase of one class; the codes are listed there);
- ``run``: one file audited (flat or structured, one dataset or the six-set protocol) into
  an ``AuditReport``;
- ``report``: the report as a rich table or markdown (imported from there: it loads rich);
- ``claims``: the audit scored on a labelled claim set (imported from there).

The phrase splitter the audit and the build's verifier share is ``ckepe.findings.pieces``.
"""

from ckepe.audit.judge import SIMILARITY_THRESHOLD, ClassAuditor, ClassSpec, Knowledge, class_specs
from ckepe.audit.run import (
    AuditInputError,
    AuditReport,
    audit_flat,
    audit_path,
    audit_prompt_set,
    dataset_specs,
)
from ckepe.audit.structure import (
    CONTRADICTED,
    SEVERITY,
    STRUCTURAL,
    UNVERIFIABLE,
    VERIFIED,
    Finding,
)

__all__ = [
    "CONTRADICTED",
    "SEVERITY",
    "SIMILARITY_THRESHOLD",
    "STRUCTURAL",
    "UNVERIFIABLE",
    "VERIFIED",
    "AuditInputError",
    "AuditReport",
    "ClassAuditor",
    "ClassSpec",
    "Finding",
    "Knowledge",
    "audit_flat",
    "audit_path",
    "audit_prompt_set",
    "class_specs",
    "dataset_specs",
]
