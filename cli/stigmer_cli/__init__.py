"""``stigmer``: the command-line client and zero-config local platform."""
