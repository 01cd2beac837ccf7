"""No network but the model endpoint: close the libraries' own downloads.

* tiktoken downloads its encodings on first use (langchain-openai counts
  tokens with it when asked to); its cache dir is pinned inside the runner's
  data dir, where an operator pre-seeds the files, and a miss fails at once
  with a message naming that dir instead of reaching for the internet.
* LangSmith tracing stays off unless the operator turned it on explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


class OfflineError(OSError):
    """A library asked for a file from the internet that was not pre-seeded."""


def close_network_lookups(data_dir: Path) -> None:
    """Process-wide, once at start-up (before any model is built)."""
    cache = data_dir / "tiktoken"
    cache.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(cache))
    os.environ.setdefault("LANGSMITH_TRACING", "false")
    os.environ.setdefault("LANGCHAIN_TRACING_V2", "false")
    import tiktoken.load

    tiktoken.load.read_file = _refuse_downloads(tiktoken.load.read_file, cache)  # type: ignore[assignment]


def _refuse_downloads(read_file: Callable[[str], bytes], cache: Path) -> Callable[[str], bytes]:
    def read_local_only(blobpath: str) -> bytes:
        # tiktoken reads its cache before calling this: reaching here means a miss.
        if blobpath.startswith(("http://", "https://")):
            raise OfflineError(
                f"tiktoken wants {blobpath}: this runner does not download; "
                f"put the file in {cache} (tiktoken's cache layout) to allow it"
            )
        return read_file(blobpath)

    return read_local_only
