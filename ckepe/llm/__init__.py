"""LLM backends for ``ckepe build-prompts`` (local GGUF, OpenAI-compatible, none).

The package's public face: :func:`create_proposer` and friends from :mod:`ckepe.llm.backends`;
the response cache (:mod:`ckepe.llm.cache`), the chat engines (:mod:`ckepe.llm.chat`,
:mod:`ckepe.llm.openai_compat`) and the local OpenAI-compatible server (:mod:`ckepe.llm.server`)
are its parts.
"""

from ckepe.llm.backends import (
    BACKENDS,
    LLMProposer,
    create_chat_model,
    create_proposer,
    generator_info,
    resolve_backend,
)
from ckepe.llm.errors import LLMEndpointError, LLMEngineCrash, LLMError, LLMUnavailable

__all__ = [
    "BACKENDS",
    "LLMEndpointError",
    "LLMEngineCrash",
    "LLMError",
    "LLMProposer",
    "LLMUnavailable",
    "create_chat_model",
    "create_proposer",
    "generator_info",
    "resolve_backend",
]
