"""The LLM backends' errors (one line each; the CLI prints them as they are)."""

from __future__ import annotations

from ckepe.errors import CkepeError


class LLMError(CkepeError, RuntimeError):
    """An LLM backend could not be set up or could not answer; the message is one line."""


class LLMEndpointError(LLMError):
    """An OpenAI-compatible endpoint failed after bounded retries (names the endpoint).

    ``abort_build``: the build stops with this one-line error instead of falling back
    class by class (the endpoint is down for all of them; the old prompt file is kept).
    """

    abort_build = True


class LLMEngineCrash(LLMError):
    """The local engine's process died (a native fault) or hung; names the engine and what
    to do. Stops the build like an endpoint that is down (the cached replies are kept)."""

    abort_build = True


class LLMUnavailable(LLMError):
    """The LLM failed earlier in this build and the user allowed the terminology-only
    fallback (``--llm-fallback``): each remaining class is built without it."""

    abort_build = False
