"""Generate every Python artefact of apis/: _pb2, _pb2_grpc, .pyi and Temporal contracts.

The one code-generation entry point, used both by the Bazel genrule in
``//apis`` and by ``tools/codegen/generate.sh`` (which writes the same tree to the
ignored ``gen/python`` folder for editors and mypy).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import validate_descriptor_set  # type: ignore[import-not-found]
from grpc_tools import protoc

VALIDATE_PROTO = "buf/validate/validate.proto"


def _plugin(tmp: Path, name: str, python_code: str) -> str:
    """A protoc plugin as an executable that runs this very interpreter.

    protoc execs plugins directly; a shebang of ``python3`` would find the system
    interpreter inside the Bazel sandbox, not the project virtualenv.
    """
    script = tmp / f"protoc-gen-{name}"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c "{python_code}"\n')
    script.chmod(0o755)
    return f"--plugin=protoc-gen-{name}={script}"


def generate(proto_root: Path, protos: list[str], out: Path, plugin_dir: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        descriptor_set = tmp_dir / "validate.pb"
        descriptor_set.write_bytes(validate_descriptor_set.build().SerializeToString())
        well_known = Path(protoc.__file__).parent / "_proto"
        common = [
            "grpc_tools.protoc",
            f"--descriptor_set_in={descriptor_set}",
            f"-I{proto_root}",
            f"-I{well_known}",
        ]
        # buf/validate/validate_pb2.py: every _pb2 importing validate.proto needs it.
        _run([*common, f"--python_out={out}", VALIDATE_PROTO])
        if not protos:
            return
        _run(
            [
                *common,
                _plugin(tmp_dir, "mypy", "from mypy_protobuf.main import main; main()"),
                _plugin(tmp_dir, "mypy_grpc", "from mypy_protobuf.main import grpc; grpc()"),
                _plugin(
                    tmp_dir,
                    "stigmer_temporal",
                    f"import sys; sys.path.insert(0, '{plugin_dir}'); "
                    "from protoc_gen_stigmer_temporal import main; main()",
                ),
                f"--python_out={out}",
                f"--grpc_python_out={out}",
                f"--mypy_out={out}",
                f"--mypy_grpc_out={out}",
                f"--stigmer_temporal_out={out}",
                *protos,
            ]
        )


def _run(argv: list[str]) -> None:
    code = protoc.main(argv)
    if code != 0:
        raise SystemExit(f"protoc failed ({code}): {' '.join(argv)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--proto-root", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument(
        "--plugin-dir", required=True, type=Path, help="folder of our protoc plugin"
    )
    parser.add_argument("protos", nargs="*", help="paths relative to --proto-root")
    args = parser.parse_args()
    generate(args.proto_root, args.protos, args.out, args.plugin_dir.resolve())


if __name__ == "__main__":
    sys.exit(main())
