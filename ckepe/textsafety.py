"""Which characters a clinical phrase may hold, and how untrusted text is shown.

Torch-free and dependency-free. Two jobs, one module:

- **The claim allowlist.** A phrase that enters or is audited in a prompt file may contain
  only :data:`ALLOWED_CHARS`: ASCII letters and digits, the space, the ASCII punctuation
  clinical criteria are written with (``. , ; : ( ) / - + < > = % ' "``), and the few clinical
  symbols ECG criteria need (``≥ ≤ ′ ″ ° µ μ … – ’``). Any other character (another script,
  a control character, a bidi override, a zero-width joiner, markup such as ``[ ] { } * # _``
  or a backslash) rejects the claim with the code :data:`DISALLOWED_CHARS`, naming its code
  point. The check runs on the raw text before any normalisation, so nothing outside the
  allowlist can be stripped into a match ("QTc within normal limits" followed by an
  instruction in another script is rejected whole, not verified on its first words).
- **Visible escapes.** Text from an audited file or an LLM reply is shown (terminal, Markdown)
  or stored (a rejected claim) with every control, format and separator character replaced
  by a visible escape (``\\x1b``, ``\\u202e``), so it cannot move the cursor, reorder a line
  or start a new one; :func:`bounded` also caps its length.
"""

from __future__ import annotations

import string
import unicodedata

__all__ = [
    "ALLOWED_CHARS",
    "CLINICAL_SYMBOLS",
    "DISALLOWED_CHARS",
    "MAX_STORED_CHARS",
    "bounded",
    "disallowed_chars",
    "disallowed_reason",
    "escape_nonallowed",
    "visible",
]

DISALLOWED_CHARS = "disallowed_chars"
"""The verdict code of a claim holding a character outside the allowlist."""

CLINICAL_SYMBOLS = "≥≤′″°µμ…–’"
"""Non-ASCII symbols a clinical criterion may use: comparators, prime/double prime (lead
and interval notation), degree (axis), micro (µV; both the micro sign and Greek mu, which
NFKC turns it into), ellipsis, en dash (ranges, eponyms) and the typographic apostrophe."""

ALLOWED_CHARS = frozenset(
    string.ascii_letters + string.digits + " .,;:()/-+<>=%'\"" + CLINICAL_SYMBOLS
)
"""Every character a clinical phrase may contain."""

MAX_STORED_CHARS = 300
"""Longest rejected claim (or reason) stored in a prompt file, after escaping."""


def disallowed_chars(text: str) -> list[str]:
    """The distinct characters of ``text`` outside the allowlist, in order of appearance."""
    return list(dict.fromkeys(ch for ch in text if ch not in ALLOWED_CHARS))


def _name(ch: str) -> str:
    cat = unicodedata.category(ch)
    name = unicodedata.name(ch, "") or ("control character" if cat == "Cc" else "unnamed")
    return f"U+{ord(ch):04X} {name}"


def disallowed_reason(text: str) -> str | None:
    """Why ``text`` is refused (the first characters outside the allowlist), or None."""
    bad = disallowed_chars(text)
    if not bad:
        return None
    shown = ", ".join(_name(ch) for ch in bad[:3])
    more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
    return f"character(s) outside the clinical-text allowlist: {shown}{more}"


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape_nonallowed(text: str) -> str:
    """``text`` with every character outside the allowlist (backslash kept) as an escape.

    Idempotent: the result holds only allowlisted characters and backslashes.
    """
    return "".join(ch if ch in ALLOWED_CHARS or ch == "\\" else _escape_char(ch) for ch in text)


def bounded(text: str, limit: int = MAX_STORED_CHARS) -> str:
    """Escaped (:func:`escape_nonallowed`) and cut to ``limit`` characters with ``…``;
    idempotent, so a stored claim keeps its content hash when read and written again."""
    text = escape_nonallowed(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    head, sep, tail = cut.rpartition("\\")  # never leave half an escape at the end
    if sep and len(tail) < 9 and tail[:1] in ("x", "u", "U"):
        cut = head
    return cut + "…"


_BIDI_AND_SEPARATORS = frozenset("\u2028\u2029\u061c\u200e\u200f")


def _unsafe(ch: str) -> bool:
    """A character that changes how a terminal or a renderer lays out text."""
    if ch == " ":
        return False
    cat = unicodedata.category(ch)
    # Cc: C0, C1, DEL; Cf: bidi overrides/isolates, zero-width and other format characters;
    # Zl/Zp: line and paragraph separators; Zs other than the space (no-break spaces);
    # Co/Cn: private use and unassigned
    return cat in ("Cc", "Cf", "Zl", "Zp", "Zs", "Co", "Cn", "Cs") or ch in _BIDI_AND_SEPARATORS


def visible(text: str) -> str:
    """``text`` with control, format, separator and unassigned characters as escapes
    (``\\r`` → ``\\x0d``, ESC → ``\\x1b``, RIGHT-TO-LEFT OVERRIDE → ``\\u202e``); a
    backslash is doubled so an escape in the input cannot pass for one made here."""
    return "".join("\\\\" if ch == "\\" else _escape_char(ch) if _unsafe(ch) else ch for ch in text)
