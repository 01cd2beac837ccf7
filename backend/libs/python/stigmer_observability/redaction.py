"""Keeping secrets out of log lines.

Two nets, both cheap: fields whose *name* says they hold a secret are replaced
whole, and text that *looks* like a credential (a bearer token, ``api_key=...``,
a payload key ``k1=<base64>``) is masked inside messages and exception text.
Neither replaces not logging secrets in the first place; they catch the
accidents (a config dump, an error message quoting a header).
"""

from __future__ import annotations

import re

REDACTED = "[REDACTED]"

#: Field names (``extra`` keys) whose values are never logged.
_SECRET_NAME = re.compile(
    r"(secret|password|passwd|token|api[_-]?key|authorization|credential|private[_-]?key|payload[_-]?keys?)",
    re.IGNORECASE,
)

#: Credentials inside free text; group 1 is kept, the rest is masked.
_SECRET_TEXT = (
    re.compile(r"(\b[Bb]earer\s+)[A-Za-z0-9._~+/=-]{4,}"),
    re.compile(
        r"(\b(?:authorization|api[_-]?key|x-api-key|password|passwd|secret|token)\b\s*[=:]\s*['\"]?"
        r"(?:[Bb]earer\s+)?)[^\s'\",;]{4,}",
        re.IGNORECASE,
    ),
    # STIGMER_PAYLOAD_KEYS entries: ``id=<base64 of 32 bytes>``.
    re.compile(r"(\b[\w.-]{1,64}=)[A-Za-z0-9+/]{42}[A-Za-z0-9+/=]{2}(?![A-Za-z0-9+/=])"),
)


def is_secret_name(name: str) -> bool:
    """Whether a field called ``name`` holds a secret (by its name)."""
    return bool(_SECRET_NAME.search(name))


def redact_text(text: str) -> str:
    """``text`` with credential-looking substrings masked."""
    # Every pattern needs one of these; most log text has none (the common case, fast).
    if "=" not in text and ":" not in text and "earer" not in text:
        return text
    for pattern in _SECRET_TEXT:
        text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
    return text
