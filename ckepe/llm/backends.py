"""LLM backends for ``ckepe build-prompts``: ``local``, ``openai``, ``none`` and ``auto``.

:func:`create_proposer` returns the proposer that ``ckepe.build`` hands each
:class:`~ckepe.proposal.ClassContext`, and the ``generator_info`` block recorded in the
prompt file. Replies are cached on disk (see :mod:`ckepe.llm.cache`), so a rerun gives the
same file without calling the model, and an interrupted build resumes.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from ckepe.llm.cache import ResponseCache
from ckepe.llm.chat import (
    ChatModelBase,
    LocalChatModel,
    create_local_chat_model,
    engine_version,
)
from ckepe.llm.errors import LLMEndpointError, LLMEngineCrash, LLMError, LLMUnavailable
from ckepe.llm.openai_compat import OpenAIChatModel, create_openai_chat_model, endpoint_configured
from ckepe.proposal import ClassContext, Proposal, propose_with_repair

logger = logging.getLogger(__name__)

BACKENDS = ("auto", "local", "openai", "none")
DEFAULT_MAX_TOKENS = 256


def resolve_backend(backend: str) -> str:
    """``auto`` becomes ``openai`` when an endpoint is configured in the environment, else
    ``local``; other names are checked."""
    backend = (backend or "auto").lower()
    if backend not in BACKENDS:
        raise LLMError(f"unknown LLM backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "auto":
        return "openai" if endpoint_configured() else "local"
    return backend


class LLMProposer:
    """Callable ``proposer(ctx) -> Proposal`` around a chat model and the response cache.

    When the engine crashes or the endpoint is down, the error stops the build
    (``abort_build``; the replies cached so far are kept), unless ``fallback`` is set: then
    every class without a cached reply is built terminology-only (:class:`LLMUnavailable`).
    """

    def __init__(
        self,
        chat: ChatModelBase,
        cache: ResponseCache,
        use_cache: bool = True,
        max_repairs: int = 1,
        fallback: bool = False,
    ) -> None:
        self.chat = chat
        self.cache = cache
        self.use_cache = use_cache
        self.max_repairs = max_repairs
        self.fallback = fallback
        self.engine_calls = 0
        self._endpoint_error: LLMError | None = None

    def complete(self, messages: list[dict[str, str]]) -> str:
        """The reply for ``messages``: from the cache when allowed, else from the model
        through langchain's ``invoke`` (the fresh reply is then cached)."""
        request = {**self.chat.request_identity(), "messages": messages}
        if self.use_cache:
            cached = self.cache.get(request)
            if cached is not None:
                return cached
        if self._endpoint_error is not None:  # the engine already failed: do not retry it
            raise self._unavailable(self._endpoint_error)
        self.engine_calls += 1
        try:
            reply = self.chat.invoke([(m["role"], m["content"]) for m in messages])
        except (LLMEndpointError, LLMEngineCrash) as exc:
            self._endpoint_error = exc
            if self.fallback:
                logger.warning("%s; --llm-fallback: building the rest terminology-only", exc)
            raise self._unavailable(exc) from None
        text = str(reply.content)
        self.cache.put(request, text)
        return text

    def _unavailable(self, exc: LLMError) -> LLMError:
        return LLMUnavailable(str(exc)) if self.fallback else exc

    def __call__(self, ctx: ClassContext) -> Proposal:
        """Propose subtypes and features for one class (never raises for bad output)."""
        return propose_with_repair(ctx, self.complete, max_repairs=self.max_repairs)


def create_chat_model(
    backend: str,
    model: str | None = None,
    base_url: str | None = None,
    seed: int = 0,
    temperature: float = 0.0,
    *,
    api_key: str | None = None,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    timeout_s: float | None = None,
    max_retries: int | None = None,
    backoff_s: float = 1.0,
    engine: str | None = None,
) -> ChatModelBase:
    """The langchain chat model of a resolved backend (``local`` or ``openai``)."""
    if backend == "local":  # the packaged SmolLM2, or a GGUF file given by path
        gguf = None if model in (None, "", "smollm2", "SmolLM2-135M-Instruct") else model
        return create_local_chat_model(temperature, max_tokens, seed, engine=engine, gguf_path=gguf)
    if backend == "openai":
        return create_openai_chat_model(
            model,
            base_url,
            api_key,
            temperature,
            max_tokens,
            seed,
            timeout_s=timeout_s,
            max_retries=max_retries,
            backoff_s=backoff_s,
        )
    raise LLMError(f"backend {backend!r} has no chat model")


def generator_info(
    chat: ChatModelBase | None, backend: str, cache: ResponseCache | None, use_cache: bool
) -> dict[str, Any]:
    """The prompt file's generator block for this backend (no secrets)."""
    info: dict[str, Any] = {"llm_backend": backend}
    if chat is None:
        info["model"] = None
        return info
    info.update(model=chat.model_id, decoding=chat.decoding_params(), seed=chat.seed)
    if isinstance(chat, LocalChatModel):
        info.update(
            model_file=Path(chat.model_path).name,
            model_sha256=chat.model_sha256,
            engine=chat.engine,
            engine_version=engine_version(chat.engine),
        )
    elif isinstance(chat, OpenAIChatModel):
        info.update(
            endpoint=chat.endpoint, engine="openai-sdk", engine_version=engine_version("openai")
        )
    # The cache folder itself is not recorded: it is this machine's path, not provenance.
    info["cache"] = {"enabled": use_cache}
    return info


def create_proposer(
    backend: str,
    model: str | None = None,
    base_url: str | None = None,
    seed: int = 0,
    temperature: float = 0.0,
    cache_dir: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
    fallback: bool = False,
    **options: Any,
) -> tuple[LLMProposer | None, dict[str, Any]]:
    """The proposer for ``backend`` and its ``generator_info``; ``none`` gives no proposer.

    ``fallback``: when the engine crashes or the endpoint goes down mid-build, build the
    remaining classes terminology-only instead of stopping (see :class:`LLMProposer`).

    Extra ``options`` go to :func:`create_chat_model` (``api_key``, ``max_tokens``,
    ``timeout_s``, ``max_retries``, ``backoff_s``, ``engine``).

    Raises:
        LLMError: unknown backend, missing model file or engine.
        LLMEndpointError: an endpoint could not be reached (one line naming it).
    """
    resolved = resolve_backend(backend)
    if resolved == "none":
        return None, generator_info(None, "none", None, use_cache)
    chat = create_chat_model(resolved, model, base_url, seed, temperature, **options)
    cache = ResponseCache(cache_dir)
    proposer = LLMProposer(chat, cache, use_cache=use_cache, fallback=fallback)
    info = generator_info(chat, resolved, cache, use_cache)
    logger.info("LLM backend %s, model %s", resolved, chat.model_id)
    return proposer, info
