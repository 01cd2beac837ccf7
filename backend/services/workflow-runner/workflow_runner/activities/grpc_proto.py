"""Compiling a ``.proto`` at run time into message and method descriptors.

``call: grpc`` names a proto file, not generated code, so the worker compiles it
with ``grpc_tools.protoc`` (in a subprocess: protoc's in-process entry point is
not documented as thread-safe) into a descriptor set, loads that into a private
``DescriptorPool`` and builds message classes from it. Compiled protos are
cached by content, so repeated calls pay the compile once.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.resources
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from workflow_runner.activities.problem import problem


@dataclass(frozen=True)
class ResolvedMethod:
    """A unary method ready to call.

    Attributes:
        path: The gRPC method path, ``/package.Service/Method``.
        request_class: Message class of the request.
        response_class: Message class of the response.
    """

    path: str
    request_class: Any
    response_class: Any


def _well_known_include() -> str:
    return str(importlib.resources.files("grpc_tools") / "_proto")


def _write_source(work: Path, proto_text: str) -> Path:
    source = work / "call.proto"
    source.write_text(proto_text, encoding="utf-8")
    return source


async def compile_proto(proto_text: str, proto_dir: Path | None) -> descriptor_pool.DescriptorPool:
    """Compile ``proto_text`` (imports resolved next to ``proto_dir``) into a pool.

    Raises:
        ApplicationError: ``configuration`` with protoc's message when the
            proto does not compile.
    """
    with tempfile.TemporaryDirectory(prefix="stigmer-proto-") as work:
        source = await asyncio.to_thread(_write_source, Path(work), proto_text)
        out = Path(work) / "call.pb"
        includes = ["-I", work, "-I", _well_known_include()]
        if proto_dir is not None:
            includes += ["-I", str(proto_dir)]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            *includes,
            "--include_imports",
            f"--descriptor_set_out={out}",
            str(source),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await process.communicate()
        if process.returncode != 0:
            raise problem(
                "configuration",
                "Invalid proto file",
                f"'proto' does not compile: {err.decode(errors='replace').strip()}",
            )
        data = await asyncio.to_thread(out.read_bytes)
    pool = descriptor_pool.DescriptorPool()
    for file_proto in descriptor_pb2.FileDescriptorSet.FromString(data).file:
        pool.Add(file_proto)
    return pool


def _find_service(pool: descriptor_pool.DescriptorPool, name: str) -> ServiceDescriptor:
    try:
        return pool.FindServiceByName(name)
    except KeyError:
        pass
    raise problem(
        "configuration",
        "Unknown gRPC service",
        f"'service.name' {name!r} is not defined in the proto (use the package-qualified name, "
        "e.g. 'greet.Greeter')",
    )


def resolve_method(
    pool: descriptor_pool.DescriptorPool, service_name: str, method_name: str
) -> ResolvedMethod:
    """Find a unary method of ``service_name`` and build its message classes.

    Raises:
        ApplicationError: ``configuration`` naming the unknown service or
            method, or a streaming method (not supported).
    """
    service = _find_service(pool, service_name)
    method: MethodDescriptor | None = service.methods_by_name.get(method_name)
    if method is None:
        known = ", ".join(sorted(service.methods_by_name)) or "none"
        raise problem(
            "configuration",
            "Unknown gRPC method",
            f"'method' {method_name!r} is not a method of {service.full_name} (known: {known})",
        )
    if method.client_streaming or method.server_streaming:
        raise problem(
            "configuration",
            "Unsupported gRPC method",
            f"'method' {method_name!r} is streaming; only unary methods are supported",
        )
    return ResolvedMethod(
        path=f"/{service.full_name}/{method.name}",
        request_class=message_factory.GetMessageClass(method.input_type),
        response_class=message_factory.GetMessageClass(method.output_type),
    )


class ProtoCache:
    """Compiled pools keyed by proto content and include directory."""

    def __init__(self) -> None:
        self._pools: dict[tuple[str, str], descriptor_pool.DescriptorPool] = {}
        self._lock = asyncio.Lock()

    async def pool_for(
        self, proto_text: str, proto_dir: Path | None
    ) -> descriptor_pool.DescriptorPool:
        """The pool for this proto, compiling it on first use."""
        key = (hashlib.sha256(proto_text.encode()).hexdigest(), str(proto_dir or ""))
        async with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = await compile_proto(proto_text, proto_dir)
                self._pools[key] = pool
            return pool
