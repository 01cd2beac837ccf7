"""Options and argument parsing shared by the verbs (one spelling of each flag everywhere)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from stigmer_client import address

from stigmer_cli.errors import UsageError
from stigmer_cli.input_limits import check_input_depth, parse_json

DEFAULT_SERVER = address.DEFAULT_SERVER
#: The stigmer-server address: one name for the CLI and the runners; the runners'
#: older name is read when the first is unset.
SERVER_ENV = address.SERVER_ENV
SERVER_ENV_ALIAS = address.SERVER_ENV_ALIAS
OUTPUT_FORMATS = ("table", "json", "yaml")

F = TypeVar("F", bound=Callable[..., Any])


def server_address() -> str:
    """The address from the environment (``STIGMER_SERVER``, then its alias), or the default."""
    return address.server_address(os.environ)


def server_option(function: F) -> F:
    return click.option(
        "--server",
        default=server_address,
        show_default=f"${SERVER_ENV} or {DEFAULT_SERVER}",
        metavar="HOST:PORT",
        help="stigmer-server address",
    )(function)


def input_option(function: F) -> F:
    return click.option(
        "--input",
        "input_text",
        default="{}",
        metavar="JSON",
        help="workflow input, a JSON object (default {})",
    )(function)


def output_option(function: F) -> F:
    return click.option(
        "-o",
        "--output",
        type=click.Choice(OUTPUT_FORMATS),
        default="table",
        show_default=True,
        help="table for people, json or yaml for scripts",
    )(function)


def api_key() -> str:
    return os.environ.get("STIGMER_API_KEY", "")


def resolve_path(path: Path) -> Path:
    """Relative paths are the user's: under ``bazel run`` that is BUILD_WORKING_DIRECTORY."""
    if path.is_absolute():
        return path
    base = os.environ.get("BUILD_WORKING_DIRECTORY")
    return (Path(base) / path) if base else path


def parse_input(text: str) -> dict[str, Any]:
    """``--input``: a JSON object of finite numbers, nested at most the documented limit."""
    value = parse_json(text, "--input")
    if not isinstance(value, dict):
        raise UsageError(f"--input: must be a JSON object, got {type(value).__name__}")
    check_input_depth(value, "--input")
    return value
