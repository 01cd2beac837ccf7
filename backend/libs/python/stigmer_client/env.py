"""Reading settings from environment variables: each malformed value names its variable.

Settings are read once at start-up (into frozen dataclasses); these readers are
what the runners, the CLI and the console share so a flag, a file or a number
is accepted and refused the same way in every process.
"""

from __future__ import annotations

from collections.abc import Mapping

_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


class SettingsError(ValueError):
    """An environment variable holds a value the process cannot use (names it)."""


def env_flag(source: Mapping[str, str], name: str, *, default: bool) -> bool:
    """``true``/``false`` (also ``1``/``0``, ``yes``/``no``); unset or empty: ``default``.

    Raises:
        SettingsError: any other value.
    """
    text = (source.get(name) or "").strip().lower()
    if not text:
        return default
    if text not in _TRUE + _FALSE:
        raise SettingsError(f"{name} must be true or false, got {text!r}")
    return text in _TRUE


def readable_file(source: Mapping[str, str], name: str) -> str:
    """The path in ``name`` ("" when unset), checked readable now rather than at first use.

    Raises:
        SettingsError: the file cannot be opened (with the system's reason).
    """
    path = (source.get(name) or "").strip()
    if path:
        read_file(path, name)
    return path


def read_file(path: str, name: str) -> bytes:
    """The bytes of ``path``, which the variable ``name`` gave.

    Raises:
        SettingsError: the file cannot be read (with the system's reason).
    """
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        raise SettingsError(f"{name} {path!r} cannot be read: {error.strerror}") from None


def env_seconds(source: Mapping[str, str], name: str, default: float) -> float:
    """A non-negative number of seconds; unset or empty: ``default``.

    Raises:
        SettingsError: not a number, or negative.
    """
    text = (source.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {text!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative, got {text!r}")
    return value


def env_address(source: Mapping[str, str], name: str) -> str:
    """A ``HOST:PORT`` ("" when unset; the host may be empty).

    Raises:
        SettingsError: no port, or not a port number.
    """
    text = (source.get(name) or "").strip()
    if text:
        _, colon, port = text.rpartition(":")
        if not colon or not port.isdigit() or int(port) > 65535:
            raise SettingsError(f"{name} must be HOST:PORT, got {text!r}")
    return text
