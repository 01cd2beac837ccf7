"""Where the reference data (spec, conformance kit) lives, read in place.

One configurable path: ``STIGMER_SHARED_DIR`` (default: ``../shared`` beside the
repository). When it is absent, tests skip with a message naming the path; under
``CI=true`` its absence is a failure, because CI always has it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV_VAR = "STIGMER_SHARED_DIR"


def _repo_root() -> Path:
    # Under `bazel test` the sources live in runfiles; BUILD_WORKSPACE_DIRECTORY is
    # only set by `bazel run`, so prefer an explicit marker we pass in the test env.
    root = os.environ.get("STIGMER_REPO_ROOT")
    if root:
        return Path(root)
    return Path(__file__).resolve().parents[4]


def shared_dir() -> Path:
    """The configured shared folder (may not exist)."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured).resolve()
    return (_repo_root().parent / "shared").resolve()


def conformance_dir() -> Path:
    """``<shared>/conformance``, or skip/fail the calling test when it is absent."""
    path = shared_dir() / "conformance"
    if not path.is_dir():
        message = (
            f"reference data not found at {path} (set {ENV_VAR} to the folder holding conformance/)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        # Also at collection time (tests parametrized over the reference documents).
        pytest.skip(message, allow_module_level=True)
    return path


def spec_dir() -> Path:
    return conformance_dir() / "spec-v1.0.3"


def ctk_features_dir() -> Path:
    return conformance_dir() / "ctk-v1.0.3" / "features"
