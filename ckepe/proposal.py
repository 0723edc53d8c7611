"""The LLM half of prompt generation: the per-class prompt and structured-output parsing.

The LLM *proposes* subtypes and signal features for one class; ``ckepe.build`` grounds and
verifies every claim against the terminology. This module builds the chat messages for a
:class:`ClassContext`, parses the reply into :class:`RawClaim` objects (JSON validated by a
pydantic schema) and repairs malformed output within a bounded budget: extract the first
JSON object from chat text, close a truncated object, then one retry that tells the model
what was wrong, then give up with ``Proposal(error=...)`` so the class falls back to the
terminology-only prompt.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from ckepe.build import ClassContext, Proposal, RawClaim
from ckepe.errors import CkepeError

logger = logging.getLogger(__name__)

# The seam types are owned by ckepe.build (docs/INTERFACES.md); re-exported here.
__all__ = ["ClassContext", "Proposal", "RawClaim", "parse_proposal", "propose_with_repair"]


# Bounds that keep the prompt short enough for a 135M model and the output reviewable.
MAX_CANDIDATES = 12
MAX_OTHER_LABELS = 20
MAX_CLAIMS_PER_KIND = 8
MAX_CLAIM_CHARS = 160

SYSTEM_PROMPT = (
    "You are a cardiologist writing short ECG class descriptions. "
    "Reply with one JSON object only, no other text."
)

# One worked example (few-shot): the small model copies the shape far more reliably.
_EXAMPLE_USER = (
    "Other labels (never mention them): normal ECG; myocardial infarction\n"
    "Class: ventricular premature complex\n"
    "Synonyms: PVC; ventricular extrasystole\n"
    "Candidate subtypes: ventricular bigeminy; ventricular trigeminy\n"
    "Candidate features: premature wide QRS complex (QRS >= 120 ms); "
    "no preceding P wave; compensatory pause\n"
    "Which subtypes and features best characterise ventricular premature complex? "
    "Answer in JSON."
)
_EXAMPLE_ASSISTANT = (
    '{"subtypes": ["ventricular bigeminy"], '
    '"features": ["premature wide QRS complex", "no preceding P wave"]}'
)

# Grammar for engines that can constrain decoding (llama.cpp): strings only, bounded lists.
PROPOSAL_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "subtypes": {"type": "array", "items": {"type": "string", "maxLength": 80}, "maxItems": 6},
        "features": {
            "type": "array",
            "items": {"type": "string", "maxLength": 80},
            "minItems": 1,
            "maxItems": 6,
        },
    },
    "required": ["subtypes", "features"],
}

REPAIR_TEMPLATE = (
    "Your reply could not be used: {error}. Reply again with only one JSON object of the form "
    '{{"subtypes": ["..."], "features": ["..."]}} using phrases from the candidate lists.'
)


class ProposalSchema(BaseModel):
    """The structured output the LLM must produce."""

    model_config = ConfigDict(extra="ignore")

    subtypes: list[str] = []
    features: list[str] = []

    @field_validator("subtypes", "features", mode="before")
    @classmethod
    def _coerce_items(cls, value: Any) -> list[str]:
        """Accept a bare string or objects such as ``{"name": ...}`` (common small-LLM habit)."""
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ValueError("must be a list of strings")
        out: list[str] = []
        for item in value:
            if isinstance(item, dict):
                item = next(
                    (item[k] for k in ("name", "text", "term", "feature", "subtype") if k in item),
                    None,
                )
            if isinstance(item, str) and item.strip():
                out.append(item.strip())
        return out


class ProposalParseError(CkepeError, ValueError):
    """The reply held no usable JSON proposal; the message says why, for the repair turn."""


def _join(items: Sequence[str], limit: int) -> str:
    items = [i for i in items if i]
    if not items:
        return "none"
    more = len(items) - limit
    return "; ".join(items[:limit]) + (f" (and {more} more)" if more > 0 else "")


def format_user_prompt(ctx: ClassContext) -> str:
    """The per-class user message: other labels, name, synonyms, candidates with criteria."""
    subtypes = [term for _cid, term in ctx.subtypes]
    features = [f"{term} ({crit})" if crit else term for _cid, term, crit in ctx.features]
    others = [o for o in ctx.other_labels if o and o != ctx.name]
    # The small model copies what it read last: the class and its candidates come last,
    # the other labels (which must not leak into this class) first.
    return (
        f"Other labels (never mention them): {_join(others, MAX_OTHER_LABELS)}\n"
        f"Class: {ctx.name}\n"
        f"Synonyms: {_join(list(ctx.synonyms), MAX_CANDIDATES)}\n"
        f"Candidate subtypes: {_join(subtypes, MAX_CANDIDATES)}\n"
        f"Candidate features: {_join(features, MAX_CANDIDATES)}\n"
        f"Which subtypes and features best characterise {ctx.name}? Answer in JSON."
    )


def build_messages(ctx: ClassContext) -> list[dict[str, str]]:
    """Chat messages (system, one few-shot pair, the class) as role/content dicts."""
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": _EXAMPLE_USER},
        {"role": "assistant", "content": _EXAMPLE_ASSISTANT},
        {"role": "user", "content": format_user_prompt(ctx)},
    ]


def repair_messages(messages: list[dict[str, str]], reply: str, error: str) -> list[dict[str, str]]:
    """The conversation extended with the failed reply and a message naming the problem."""
    return [
        *messages,
        {"role": "assistant", "content": reply[:2000]},
        {"role": "user", "content": REPAIR_TEMPLATE.format(error=error)},
    ]


_FENCE = re.compile(r"```(?:json)?", re.IGNORECASE)


def _scan_object(text: str, start: int) -> tuple[str, bool]:
    """The JSON object starting at ``start``; closed if the text was cut off.

    Returns the candidate text and whether it had to be closed artificially.
    """
    stack: list[str] = []
    in_string = escaped = False
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]":
            if not stack or stack.pop() != ch:
                return text[start : i + 1], False  # mismatched: let json.loads report it
            if not stack:
                return text[start : i + 1], False
    # Truncated (max tokens reached): close the open string and brackets.
    tail = text[start:]
    if in_string:
        tail += '"'
    tail = re.sub(r"[,:\s]+$", "", tail)
    return tail + "".join(reversed(stack)), True


def extract_json_object(text: str) -> dict[str, Any]:
    """The first JSON object in ``text`` (chat text and code fences around it are ignored).

    Raises:
        ProposalParseError: no object could be decoded.
    """
    if not text or not text.strip():
        raise ProposalParseError("the reply was empty")
    cleaned = _FENCE.sub("", text)
    starts = [m.start() for m in re.finditer(r"\{", cleaned)]
    if not starts:
        raise ProposalParseError("the reply contained no JSON object")
    last_error = "invalid JSON"
    for start in starts[:5]:
        candidate, closed = _scan_object(cleaned, start)
        try:
            obj = json.loads(candidate)
        except json.JSONDecodeError as exc:
            last_error = f"invalid JSON ({exc.msg} at char {exc.pos})"
            continue
        if isinstance(obj, dict):
            if closed:
                logger.debug("closed a truncated JSON object")
            return obj
    raise ProposalParseError(last_error)


# Placeholders a small model writes for an empty list: not claims at all.
_PLACEHOLDERS = {"none", "n/a", "na", "null", "nil", "-", "...", "…", "unknown", "not applicable"}


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set(_PLACEHOLDERS)
    out: list[str] = []
    for item in items:
        key = " ".join(item.lower().split())
        if key not in seen:
            seen.add(key)
            out.append(item[:MAX_CLAIM_CHARS])
    return out[:MAX_CLAIMS_PER_KIND]


def parse_proposal(text: str) -> list[RawClaim]:
    """Parse one LLM reply into claims (subtypes first, then features).

    Raises:
        ProposalParseError: no JSON object, schema mismatch, or no claims at all.
    """
    obj = extract_json_object(text)
    try:
        parsed = ProposalSchema.model_validate(obj)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ProposalParseError(f"schema mismatch at '{where}': {first.get('msg')}") from exc
    claims = [RawClaim(text=t, kind="subtype") for t in _dedupe(parsed.subtypes)]
    claims += [RawClaim(text=t, kind="feature") for t in _dedupe(parsed.features)]
    if not claims:
        raise ProposalParseError('the JSON object had no "subtypes" or "features" entries')
    return claims


Complete = Callable[[list[dict[str, str]]], str]


def propose_with_repair(ctx: ClassContext, complete: Complete, max_repairs: int = 1) -> Proposal:
    """Ask ``complete`` for a proposal; repair malformed output at most ``max_repairs`` times.

    ``complete`` maps chat messages to the reply text (cached by the caller). Errors from
    the backend itself (endpoint down) propagate: they are not a property of one class.
    """
    messages = build_messages(ctx)
    replies: list[str] = []
    error = ""
    for attempt in range(max_repairs + 1):
        reply = complete(messages)
        replies.append(reply)
        try:
            claims = parse_proposal(reply)
        except ProposalParseError as exc:
            error = str(exc)
            logger.info(
                "%s/%s: unusable LLM output (attempt %d): %s",
                ctx.dataset,
                ctx.label,
                attempt + 1,
                error,
            )
            messages = repair_messages(messages, reply, error)
            continue
        return Proposal(claims=claims, raw_text="\n---\n".join(replies), error=None)
    return Proposal(
        claims=[],
        raw_text="\n---\n".join(replies),
        error=f"unusable LLM output after {max_repairs + 1} attempts: {error}",
    )


def replay_proposer(recorded: Any) -> Callable[[ClassContext], Proposal]:
    """A proposer that re-proposes the LLM claims a prompt set recorded (its ``llm`` phrases
    and rejected ``llm`` claims), without running a model: rebuilding after a knowledge-base
    change re-verifies and re-renders the same proposals. ``recorded``: a
    :class:`ckepe.promptfile.PromptSet`. A class the set does not hold gets an error
    proposal (terminology-only fallback)."""
    claims: dict[str, list[RawClaim]] = {}
    for c in recorded.classes:
        got = [RawClaim(p.text, p.kind) for p in c.phrases if p.origin == "llm"]
        got += [RawClaim(r.text, r.kind) for r in c.rejected if r.origin == "llm"]
        for t in c.tasks:
            claims[f"{c.label}@{t}"] = got

    def propose(ctx: ClassContext) -> Proposal:
        for t in ctx.task.split("+"):
            if f"{ctx.label}@{t}" in claims:
                return Proposal(claims=list(claims[f"{ctx.label}@{t}"]), raw_text="(replayed)")
        return Proposal(error=f"no recorded claims for {ctx.label} ({ctx.task})")

    return propose
