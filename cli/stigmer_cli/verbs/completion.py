"""``stigmer completion SHELL``: the shell completion script (click's own)."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

from stigmer_cli.errors import EXIT_OK

COMPLETE_VAR = "_STIGMER_COMPLETE"
SHELLS = ("bash", "zsh", "fish")


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion_command(ctx: click.Context, shell: str) -> int:
    """Print the completion script for SHELL.

    \b
    bash:  eval "$(stigmer completion bash)"      (e.g. in ~/.bashrc)
    zsh:   eval "$(stigmer completion zsh)"       (e.g. in ~/.zshrc)
    fish:  stigmer completion fish > ~/.config/fish/completions/stigmer.fish
    """
    root = ctx.find_root()
    completion_class = get_completion_class(shell)
    assert completion_class is not None  # every name in SHELLS is one of click's
    print(completion_class(root.command, {}, "stigmer", COMPLETE_VAR).source())
    return EXIT_OK


COMMANDS = [completion_command]
