"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp server) via ``openai``.

The API key comes from the caller or ``OPENAI_API_KEY`` and lives only inside the SDK
client: it is not a model field, not in :meth:`request_identity`, not in error messages.
Failures are retried a bounded number of times with exponential backoff, then raised as one
:class:`~ckepe.llm.chat.LLMEndpointError` line naming the endpoint.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import PrivateAttr

from ckepe.llm.chat import ChatModelBase
from ckepe.llm.errors import LLMEndpointError, LLMError

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
BACKOFF_CAP_S = 8.0


def redact_url(url: str) -> str:
    """The URL without user:password and query string (both may carry credentials)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


ALLOW_HTTP_ENV = "CKEPE_ALLOW_HTTP_KEY"  # "1": send a key over plain http:// anyway


def is_loopback(url: str) -> bool:
    """True when ``url``'s host is this machine (localhost, 127.0.0.0/8, ::1); names are
    not resolved."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_key_transport(url: str, key: str | None) -> None:
    """Refuse to send an API key over plain ``http://`` to another machine (anyone on the
    path reads it), unless ``$CKEPE_ALLOW_HTTP_KEY=1``; then warn.

    Raises:
        LLMError: naming the endpoint and the ways out (https, a tunnel, the variable).
    """
    if not key or urlsplit(url).scheme.lower() != "http" or is_loopback(url):
        return
    where = redact_url(url)
    if os.environ.get(ALLOW_HTTP_ENV) == "1":
        logger.warning("sending the API key over plain http:// to %s (%s=1)", where,
                       ALLOW_HTTP_ENV)  # fmt: skip
        return
    raise LLMError(
        f"LLM endpoint {where}: refusing to send an API key over plain http:// to another "
        f"machine; use https://, an SSH tunnel to localhost, or set {ALLOW_HTTP_ENV}=1"
    )


def endpoint_configured() -> bool:
    """True when the environment names an OpenAI-compatible endpoint or key."""
    return bool(os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY"))


class OpenAIChatModel(ChatModelBase):
    """Chat completions from an OpenAI-compatible HTTP endpoint."""

    base_url: str = DEFAULT_BASE_URL
    timeout_s: float = 60.0
    max_retries: int = 3
    backoff_s: float = 1.0
    json_mode: bool = True  # ask for response_format json_object
    _client: Any = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "openai"

    @property
    def endpoint(self) -> str:
        """The endpoint as it may be shown to people and written to files."""
        return redact_url(self.base_url)

    def complete(self, messages: list[dict[str, str]]) -> str:
        import openai

        attempts = self.max_retries + 1
        last = ""
        for attempt in range(attempts):
            self.calls += 1
            try:
                resp = self._client.chat.completions.create(
                    model=self.model_id,
                    messages=messages,
                    temperature=self.temperature,
                    max_tokens=self.max_tokens,
                    seed=self.seed,
                    **self._format_kwargs(),
                )
                return resp.choices[0].message.content or ""
            except (
                openai.APIConnectionError,
                openai.RateLimitError,
                openai.InternalServerError,
            ) as exc:
                last = _describe(exc)
            except openai.APIStatusError as exc:  # 4xx other than 429: retrying will not help
                raise LLMEndpointError(
                    f"LLM endpoint {self.endpoint} rejected the request: {_describe(exc)}"
                ) from None
            if attempt + 1 < attempts:
                delay = min(self.backoff_s * 2**attempt, BACKOFF_CAP_S)
                logger.warning(
                    "LLM endpoint %s: %s; retry %d/%d in %.1f s",
                    self.endpoint,
                    last,
                    attempt + 1,
                    self.max_retries,
                    delay,
                )
                time.sleep(delay)
        raise LLMEndpointError(
            f"LLM endpoint {self.endpoint} failed after {attempts} attempts: {last}"
        )

    def request_identity(self) -> dict[str, Any]:
        """Backend, model, decoding and the endpoint (redacted): two servers serving the same
        model name do not share cached replies."""
        return {**super().request_identity(), "endpoint": self.endpoint}

    def _format_kwargs(self) -> dict[str, Any]:
        return {"response_format": {"type": "json_object"}} if self.json_mode else {}

    def decoding_params(self) -> dict[str, Any]:
        params = super().decoding_params()
        params["json_mode"] = self.json_mode
        return params

    def list_models(self) -> list[str]:
        """Model ids the endpoint serves (one bounded request)."""
        import openai

        try:
            return [m.id for m in self._client.models.list()]
        except openai.APIError as exc:
            raise LLMEndpointError(
                f"LLM endpoint {self.endpoint} could not list models: {_describe(exc)}"
            ) from None


def _describe(exc: Exception) -> str:
    """Exception type and HTTP status only: SDK messages can quote part of the key."""
    status = getattr(exc, "status_code", None)
    return f"{type(exc).__name__}" + (f" (HTTP {status})" if status else "")


def missing_settings(base_url: str | None, api_key: str | None) -> str | None:
    """What is unset for the ``openai`` backend (one line), or None when it can run.

    A custom endpoint (``--base-url`` or ``OPENAI_BASE_URL``) may run without a key (local
    servers); OpenAI itself needs ``OPENAI_API_KEY``. Checked before any network call.
    """
    url = base_url or os.environ.get("OPENAI_BASE_URL")
    key = api_key or os.environ.get("OPENAI_API_KEY")
    if not url and not key:
        return (
            "--llm openai needs an endpoint: OPENAI_API_KEY and OPENAI_BASE_URL are both "
            "unset (set OPENAI_API_KEY for api.openai.com, or OPENAI_BASE_URL / --base-url "
            "for another OpenAI-compatible server)"
        )
    if not key and redact_url(url or "") == DEFAULT_BASE_URL:
        return f"--llm openai: OPENAI_API_KEY is unset (needed by {DEFAULT_BASE_URL})"
    return None


def create_openai_chat_model(
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    temperature: float = 0.0,
    max_tokens: int = 256,
    seed: int = 0,
    timeout_s: float | None = None,
    max_retries: int | None = None,
    backoff_s: float = 1.0,
) -> OpenAIChatModel:
    """An endpoint client; base URL, key and model default to ``OPENAI_*`` variables.

    Without a model id, a custom endpoint is asked for the models it serves and the first
    is used; OpenAI itself defaults to ``gpt-4o-mini``. Timeout and retries default to
    ``$CKEPE_LLM_TIMEOUT`` (60 s) and ``$CKEPE_LLM_MAX_RETRIES`` (3).

    Raises:
        LLMError: no endpoint or key configured (names what is unset; no network call made).
    """
    if timeout_s is None:
        timeout_s = float(os.environ.get("CKEPE_LLM_TIMEOUT") or 60.0)
    if max_retries is None:
        max_retries = int(os.environ.get("CKEPE_LLM_MAX_RETRIES") or 3)
    unset = missing_settings(base_url, api_key)
    if unset is not None:
        raise LLMError(unset)
    try:
        import openai
    except ImportError as exc:  # pragma: no cover - openai is a declared dependency
        raise LLMError("the openai backend needs the openai package: pip install openai") from exc
    url = base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
    user_key = api_key or os.environ.get("OPENAI_API_KEY")
    check_key_transport(url, user_key)
    key = user_key or "sk-no-key-required"
    chat = OpenAIChatModel(
        model_id=model or os.environ.get("OPENAI_MODEL") or "",
        base_url=url,
        temperature=temperature,
        max_tokens=max_tokens,
        seed=seed,
        timeout_s=timeout_s,
        max_retries=max_retries,
        backoff_s=backoff_s,
    )
    chat._client = openai.OpenAI(base_url=url, api_key=key, timeout=timeout_s, max_retries=0)
    if not chat.model_id:
        if redact_url(url) == DEFAULT_BASE_URL:
            chat.model_id = DEFAULT_OPENAI_MODEL
        else:
            served = chat.list_models()
            if not served:
                raise LLMEndpointError(f"LLM endpoint {chat.endpoint} serves no models")
            chat.model_id = served[0]
    return chat
