"""The README pastes: every ``ckepe``/``merl-core`` line names a real command and real options.

Each shell line of the README's code blocks is parsed as a shell would (continuations joined,
comments dropped); its sub-command and every ``--option`` must exist in the typer app, no
line may pipe an option's choices (``a|b`` runs as a shell pipe), and data paths go through
``$MERL_DATA_ROOT``. The cheap commands (lookup, models, audit, export-flat) are run for real.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
PROGRAMS = ("ckepe", "merl-core")
RUN_FOR_REAL = {
    ("ckepe", "lookup"),
    ("ckepe", "export-flat"),
    ("ckepe", "audit"),
    ("merl-core", "models"),
}


def _shell_lines(markdown: str) -> list[str]:
    """The lines of the ```bash blocks, continuations joined and comments dropped."""
    lines: list[str] = []
    for block in re.findall(r"```(?:bash|sh|console)\n(.*?)```", markdown, flags=re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for raw in joined.splitlines():
            line = raw.strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def _commands() -> list[tuple[str, list[str]]]:
    """(program, argv) of every README line that runs ckepe or merl-core."""
    out = []
    for line in _shell_lines((REPO / "README.md").read_text(encoding="utf-8")):
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
        for i, tok in enumerate(tokens):
            if tok in PROGRAMS:
                out.append((tok, tokens[i + 1 :]))
                break
    return out


def _apps() -> dict[str, typer.Typer]:
    from ckepe.cli import app as ckepe_app
    from merl_core.cli import app as merl_app

    return {"ckepe": ckepe_app, "merl-core": merl_app}


COMMANDS = _commands()


def test_readme_has_commands() -> None:
    programs = {p for p, _ in COMMANDS}
    assert programs == set(PROGRAMS), programs
    assert len(COMMANDS) >= 10


@pytest.mark.parametrize(
    ("program", "argv"), COMMANDS, ids=[f"{p} {' '.join(a[:2])}" for p, a in COMMANDS]
)
def test_readme_line_names_real_command_and_options(program: str, argv: list[str]) -> None:
    group = typer.main.get_command(_apps()[program])
    assert argv, f"{program} with no sub-command"
    sub = argv[0]
    assert sub in group.commands, f"README: `{program} {sub}` is not a command"  # type: ignore[attr-defined]
    cmd = group.commands[sub]  # type: ignore[attr-defined]
    known = {opt for p in cmd.params for opt in (*p.opts, *p.secondary_opts)} | {"--help"}
    for tok in argv[1:]:
        assert tok != "|", f"README: `{program} {' '.join(argv)}` pipes into another command"
        assert not tok.startswith("["), f"README: `{program} {sub} {tok}`: brackets do not paste"
        assert "../shared" not in tok, f"README: use $MERL_DATA_ROOT instead of {tok}"
        if tok.startswith("--"):
            name = tok.split("=", 1)[0]
            assert name in known, f"README: `{program} {sub}` has no option {name}"


@pytest.mark.parametrize(
    ("program", "argv"), [(p, a) for p, a in COMMANDS if (p, a[0]) in RUN_FOR_REAL]
)
def test_readme_cheap_commands_run(
    program: str, argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "prompts").symlink_to(REPO / "prompts")
    monkeypatch.chdir(tmp_path)
    given = (
        argv[argv.index("--hallucination-check") + 1]
        if "--hallucination-check" in argv
        else (argv[1] if argv[0] == "export-flat" else None)
    )
    if given is not None and not Path(given).exists():
        pytest.skip(f"README example on a file of the user's own ({given})")
    res = CliRunner().invoke(_apps()[program], argv)
    # the audit may report findings (1) on a file given for illustration; never a usage error
    assert res.exit_code in (0, 1), f"{program} {' '.join(argv)}: {res.output}"
    assert "Traceback" not in res.output
