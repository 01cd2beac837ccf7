"""The scripted model ``stigmer demo`` gives its agent-runner when no model is configured.

No model API is reachable by default (no key, no endpoint), and an agent
without a model fails every call. The demo therefore serves the scripted
OpenAI-compatible model (the one the tests use: it calls the first tool it is
offered once, then answers quoting what it heard) on loopback for as long as
it runs, and says so: its replies are canned, not a language model's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

#: Any of these set means the user chose a model or a provider: the demo uses it.
MODEL_VARIABLES = (
    "STIGMER_AGENT_MODEL",
    "STIGMER_AGENT_OPENAI_BASE_URL",
    "STIGMER_AGENT_OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "STIGMER_AGENT_ANTHROPIC_BASE_URL",
    "STIGMER_AGENT_OLLAMA_BASE_URL",
)

#: The model name the agent-runner is given for it.
SCRIPTED_MODEL_NAME = "openai:scripted"


def model_configured(environ: Mapping[str, str]) -> bool:
    """Whether ``environ`` names a model or a provider for the agent-runner."""
    return any(environ.get(name) for name in MODEL_VARIABLES)


@contextmanager
def scripted_model_unless_configured(environ: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """The agent-runner's extra environment: empty when a model is configured, else
    the scripted model's (served on loopback until the block ends)."""
    if model_configured(environ):
        yield {}
        return
    from agent_runner_testing.scripted_model import ScriptedModel

    with ScriptedModel() as model:
        yield {
            "STIGMER_AGENT_MODEL": SCRIPTED_MODEL_NAME,
            "STIGMER_AGENT_OPENAI_BASE_URL": model.base_url,
        }


def describe(agent_env: Mapping[str, str]) -> str:
    """The line the demo prints when its agents answer from the scripted model ("" if not)."""
    if not agent_env:
        return ""
    return (
        "agents: no model configured (STIGMER_AGENT_MODEL, OPENAI_API_KEY, ...): "
        f"using the scripted model at {agent_env['STIGMER_AGENT_OPENAI_BASE_URL']} "
        "(canned replies, not a language model)"
    )
