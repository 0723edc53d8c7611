"""Packaging that ``pyproject.toml`` cannot say: ``knowledge/`` and ``prompts/`` (at the root of
a checkout, where the knowledge build and ``ckepe build-prompts`` write them) ship inside the
wheel as ``ckepe/knowledge`` and ``ckepe/prompts``, where :mod:`ckepe.resources` finds them
once installed. Everything else is declared in ``pyproject.toml``."""

from pathlib import Path

from setuptools import find_namespace_packages, setup

# installed package -> its folder in the checkout
DATA_ROOTS = {"ckepe.knowledge": "knowledge", "ckepe.prompts": "prompts"}
DATA_PATTERNS = ["*.tsv", "*.txt", "*.md", "*.json"]
# the knowledge build (knowledge/kbbuild) is a development tool, not data
NOT_DATA = {"kbbuild", "__pycache__"}


def data_packages() -> dict[str, str]:
    """Every data folder (and its sub-folders) as a package name -> checkout folder."""
    found = {}
    for package, folder in DATA_ROOTS.items():
        root = Path(folder)
        for sub in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
            parts = sub.relative_to(root).parts
            if not NOT_DATA & set(parts):
                found[".".join([package, *parts])] = sub.as_posix()
    return found


DATA = data_packages()
CODE = find_namespace_packages(
    include=["ckepe", "ckepe.*", "merl_core", "merl_core.*"], exclude=["*.__pycache__"]
)

setup(
    packages=[*CODE, *DATA],
    package_dir=DATA,
    package_data={
        "merl_core.configs": ["*.json", "*.yaml"],
        **dict.fromkeys(DATA, DATA_PATTERNS),
    },
)
