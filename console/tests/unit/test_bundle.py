"""The committed bundle is what `npm run build` makes of console/web/src (when Node is set up)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "web"
BUNDLE = Path(__file__).resolve().parents[2] / "stigmer_console" / "static" / "app.js"


def test_the_page_and_its_assets_are_packaged() -> None:
    static = BUNDLE.parent
    html = (static / "index.html").read_text(encoding="utf-8")
    # Served from the gateway itself: no CDN, no other origin.
    assert 'src="/static/app.js"' in html and 'href="/static/style.css"' in html
    assert "http" not in html.replace('href="data:,"', "")
    # Small: the page, dagre and its graph library, minified.
    assert BUNDLE.stat().st_size < 150_000


def test_the_committed_bundle_is_built_from_the_sources(tmp_path: Path) -> None:
    esbuild = WEB / "node_modules" / ".bin" / "esbuild"
    if not esbuild.exists() or shutil.which("node") is None:
        pytest.skip("console/web/node_modules absent (tools/setup.sh runs npm ci there)")
    out = tmp_path / "app.js"
    subprocess.run(
        [
            str(esbuild),
            "src/main.js",
            "--bundle",
            "--minify",
            "--format=iife",
            "--target=es2020",
            f"--outfile={out}",
        ],
        cwd=WEB,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert out.read_bytes() == BUNDLE.read_bytes(), "run `npm run build` in console/web"
