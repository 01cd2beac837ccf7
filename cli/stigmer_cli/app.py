"""The ``stigmer`` command: a click group of the verbs in :mod:`stigmer_cli.verbs`.

:func:`main` turns every failure into one line on stderr and the documented
exit code (see :mod:`stigmer_cli.errors`); no traceback reaches the user.
"""

from __future__ import annotations

import os
import sys
from importlib import metadata

import click
from click.shell_completion import shell_complete

from stigmer_cli.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
)
from stigmer_cli.verbs import VERB_MODULES
from stigmer_cli.verbs.completion import COMPLETE_VAR

EPILOG = """\b
examples:
  stigmer server                                   # local platform until Ctrl-C
  stigmer apply -f examples/hello-stigmer.yaml     # store a workflow
  stigmer run hello-stigmer --input '{"name": "Stigmer"}' --follow
  stigmer list executions                          # or workflows, agents, sessions...
  stigmer describe wex-...                         # the task table of an execution
  stigmer watch wex-...                            # attach until it ends
  stigmer get wex-... -o yaml                      # one resource as YAML (or json)
  stigmer cancel wex-...                           # stop a running execution
  stigmer pause wex-... / stigmer resume wex-...   # hold it between tasks, go on
  stigmer demo examples/hello-stigmer.yaml --input '{"name": "Stigmer"}'
  stigmer emit --type com.example.paid --source /shop --data '{"order": 7}'
  stigmer keys create --id ci --role user --org acme --append keys.txt
  eval "$(stigmer completion bash)"                # shell completion (bash, zsh, fish)

\b
environment:
  STIGMER_SERVER       stigmer-server address (default 127.0.0.1:7234); the same
                       name the runners read (STIGMER_SERVICE_ENDPOINT: its alias)
  STIGMER_API_KEY      API key sent to stigmer-server (`stigmer keys create` makes one)
  STIGMER_USE_TLS      true: TLS to stigmer-server (system roots); STIGMER_CA_FILE: a PEM CA
  STIGMER_EVENTS       event endpoint for emit (default 127.0.0.1:7235)
  TEMPORAL_HOST_PORT   an existing Temporal to use (default: start a dev server if
                       127.0.0.1:7233 is free)

\b
exit codes:
  0    success; the execution followed ended COMPLETED
  1    the execution followed ended FAILED or CANCELLED
  2    usage: bad flags, file or input; a request the server refused
  3    stigmer-server (or the event endpoint) unreachable
  130  interrupted before the execution ended
"""


def _version() -> str:
    try:
        return metadata.version("stigmer")
    except metadata.PackageNotFoundError:
        return "0.1.0"  # pyproject.toml's version; the package is not installed under Bazel


@click.group(
    "stigmer",
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(_version(), "--version", prog_name="stigmer", message="%(prog)s %(version)s")
def cli() -> None:
    """Stigmer: durable agentic workflows.

    Run a local platform, apply workflows, run, watch and steer executions,
    read any resource.
    """


for _module in VERB_MODULES:
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def _usage_line(error: click.UsageError) -> str:
    """click's usage error as one line, pointing at the verb's help."""
    context = error.ctx
    where = context.command_path if context is not None else "stigmer"
    return f"{where}: {error.format_message()} (see {where} --help)"


def main(argv: list[str] | None = None) -> int:
    """Run ``stigmer`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    instruction = os.environ.get(COMPLETE_VAR)
    if instruction:  # the shell asks for completions (see `stigmer completion`)
        return shell_complete(cli, {}, "stigmer", COMPLETE_VAR, instruction)
    try:
        with cli.make_context("stigmer", list(args)) as context:
            code = cli.invoke(context)
        return EXIT_OK if code is None else int(code)
    except click.exceptions.Exit as done:  # --help, --version
        return int(done.exit_code)
    except click.UsageError as error:
        print(_usage_line(error), file=sys.stderr)
        return EXIT_USAGE
    except click.ClickException as error:
        print(f"stigmer: {error.format_message()}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as error:
        print(f"stigmer: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:  # e.g. Ctrl-C during `run --follow`: no traceback
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
