"""The published MERL weights (Liu et al., ICML 2024) as this project's checkpoints."""

from merl_core.upstream.importer import (
    UPSTREAM_FORMAT,
    UpstreamImportError,
    import_upstream,
    infer_arch,
    map_state_dict,
    read_published,
)

__all__ = [
    "UPSTREAM_FORMAT",
    "UpstreamImportError",
    "import_upstream",
    "infer_arch",
    "map_state_dict",
    "read_published",
]
