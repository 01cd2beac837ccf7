"""The terminals the CLI writes to: results on stdout, progress and errors on stderr."""

from __future__ import annotations

from rich.console import Console

#: Tables written to a pipe or file are not cut at 80 columns (grep sees whole rows).
PIPED_WIDTH = 240


def stdout_console() -> Console:
    console = Console(highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console = Console(highlight=False, soft_wrap=False, width=PIPED_WIDTH)
    return console


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False)
