"""Chat models by name: ``provider:model`` (``openai``, ``anthropic``, ``ollama``).

A name without a provider is an OpenAI-compatible model at the configured base
URL (vLLM, Ollama's ``/v1``, LM Studio all speak it). Keys come from the
runner's settings and are never logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from langchain_core.language_models.chat_models import BaseChatModel

from agent_runner.errors import agent_spec_error
from agent_runner.settings import ModelDefaults

PROVIDERS = ("openai", "anthropic", "ollama")
# The OpenAI SDK refuses an empty key even for servers that need none.
_NO_KEY = "not-needed"


def split_model(name: str) -> tuple[str, str]:
    """``("openai", "gpt-4o")`` from ``"openai:gpt-4o"``; no provider means openai."""
    provider, colon, model = name.partition(":")
    if not colon:
        return "openai", name
    if provider not in PROVIDERS:
        raise agent_spec_error(
            f"model {name!r}: unknown provider {provider!r} (one of {', '.join(PROVIDERS)})"
        )
    if not model:
        raise agent_spec_error(f"model {name!r}: no model after {provider!r}")
    return provider, model


#: Variables of an execution's environment that override the runner's model defaults.
ENVIRONMENT_OVERRIDES = {
    "OPENAI_API_KEY": "openai_api_key",
    "OPENAI_BASE_URL": "openai_base_url",
    "ANTHROPIC_API_KEY": "anthropic_api_key",
    "ANTHROPIC_BASE_URL": "anthropic_base_url",
    "OLLAMA_BASE_URL": "ollama_base_url",
}


def defaults_for(defaults: ModelDefaults, environment: Mapping[str, str]) -> ModelDefaults:
    """The runner's defaults with the keys and endpoints the execution's environment sets
    (its Environments' secrets, then ``runtime_env``)."""
    overrides = {
        field: environment[name]
        for name, field in ENVIRONMENT_OVERRIDES.items()
        if environment.get(name)
    }
    return replace(defaults, **overrides)


def chat_model(name: str, defaults: ModelDefaults, *, max_output_tokens: int = 0) -> BaseChatModel:
    """The streaming chat model ``name`` denotes (see the module docstring);
    ``max_output_tokens`` bounds each reply (0: the provider's default)."""
    provider, model = split_model(name or defaults.model)
    if provider == "anthropic":
        from langchain_anthropic import ChatAnthropic

        options: dict[str, object] = {"model": model, "streaming": True}
        if max_output_tokens:
            options["max_tokens"] = max_output_tokens
        if defaults.anthropic_base_url:
            options["base_url"] = defaults.anthropic_base_url
        return ChatAnthropic(api_key=defaults.anthropic_api_key or _NO_KEY, **options)  # type: ignore[arg-type]
    if provider == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(
            model=model, base_url=defaults.ollama_base_url, num_predict=max_output_tokens or None
        )
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=model,
        base_url=defaults.openai_base_url or None,
        api_key=defaults.openai_api_key or _NO_KEY,  # type: ignore[arg-type]
        streaming=True,
        stream_usage=True,
        max_completion_tokens=max_output_tokens or None,
        # Transport retries stay short: the activity's retry resumes from the checkpoint.
        max_retries=1,
    )
