"""No download behind the model endpoint's back: tiktoken reads only its local cache."""

from __future__ import annotations

from pathlib import Path

import pytest
import tiktoken
import tiktoken.load
import tiktoken.registry
from agent_runner.offline import OfflineError, close_network_lookups


def test_tiktoken_encodings_come_from_the_data_dir_or_fail_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TIKTOKEN_CACHE_DIR", "LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2"):
        monkeypatch.delenv(name, raising=False)  # restored after the test
    monkeypatch.setattr(tiktoken.load, "read_file", tiktoken.load.read_file)
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})  # nothing loaded yet
    close_network_lookups(tmp_path)

    with pytest.raises(OfflineError, match=str(tmp_path / "tiktoken")):
        tiktoken.get_encoding("cl100k_base")
