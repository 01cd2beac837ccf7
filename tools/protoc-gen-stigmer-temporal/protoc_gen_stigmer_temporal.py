"""protoc plugin: Temporal contract options -> one typed ``*_temporal.py`` per contract.proto.

The generated module is data only — names, queues, timeouts, signals, queries,
memo keys, error types, message types — instantiating the hand-written runtime
in ``stigmer_temporal``. Options are read
straight from the serialized descriptors protoc hands us, through a descriptor
pool of our own, so the plugin needs no generated code of its own options.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.compiler import plugin_pb2

OPTIONS_PACKAGE = "stigmer.temporal.v1"
CONTRACT_FILE = "contract.proto"
# A method type meaning "plain JSON, no message": the runtime's marker class.
JSON_PAYLOAD = f"{OPTIONS_PACKAGE}.JsonPayload"
_CONSTANT_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


class PluginError(Exception):
    pass


def _constant(name: str) -> str:
    """``ExecuteWorkflow`` -> ``EXECUTE_WORKFLOW``."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return snake.upper()


def _module_of(proto_path: str) -> str:
    return proto_path[: -len(".proto")].replace("/", ".") + "_pb2"


class _OptionReader:
    """Decodes our custom options from raw option bytes with a private pool."""

    def __init__(self, files: list[descriptor_pb2.FileDescriptorProto]) -> None:
        self.pool = descriptor_pool.DescriptorPool()
        for proto in files:
            self.pool.Add(proto)

    def read(self, options: Any, options_type: str, extension: str) -> Any | None:
        if options is None:
            return None
        holder_cls = message_factory.GetMessageClass(
            self.pool.FindMessageTypeByName(f"google.protobuf.{options_type}")
        )
        holder = holder_cls.FromString(options.SerializeToString())
        ext: Any = self.pool.FindExtensionByName(f"{OPTIONS_PACKAGE}.{extension}")
        if not holder.HasExtension(ext):
            return None
        return holder.Extensions[ext]


def _duration(value: Any) -> str | None:
    if value.seconds == 0 and value.nanos == 0:
        return None
    if value.nanos == 0:
        return f"timedelta(seconds={value.seconds})"
    return f"timedelta(microseconds={value.seconds * 1_000_000 + value.nanos // 1000})"


def _kwargs(pairs: list[tuple[str, str | None]]) -> str:
    return "".join(f"    {key}={val},\n" for key, val in pairs if val is not None)


def _retry(policy: Any, present: bool) -> str | None:
    if not present:
        return None
    parts = [
        ("initial_interval", _duration(policy.initial_interval)),
        (
            "backoff_coefficient",
            repr(policy.backoff_coefficient) if policy.backoff_coefficient else None,
        ),
        ("maximum_interval", _duration(policy.maximum_interval)),
        ("maximum_attempts", str(policy.maximum_attempts) if policy.maximum_attempts else None),
        (
            "non_retryable_error_types",
            repr(tuple(policy.non_retryable_error_types))
            if policy.non_retryable_error_types
            else None,
        ),
    ]
    inner = ", ".join(f"{k}={v}" for k, v in parts if v is not None)
    return f"RetryPolicySpec({inner})"


def generate_file(
    proto: descriptor_pb2.FileDescriptorProto,
    reader: _OptionReader,
    message_files: dict[str, str],
) -> str | None:
    services = []
    for service in proto.service:
        svc_opts = reader.read(
            service.options if service.HasField("options") else None, "ServiceOptions", "service"
        )
        if svc_opts is not None:
            services.append((service, svc_opts))
    if not services:
        return None
    if not proto.name.endswith("/" + CONTRACT_FILE):
        raise PluginError(
            f"{proto.name}: Temporal contracts must live in a file named {CONTRACT_FILE}"
        )

    imports: dict[str, str] = {}

    def type_ref(full_name: str) -> str:
        if full_name == JSON_PAYLOAD:
            return "JsonPayload"
        module = _module_of(message_files[full_name])
        alias = "_" + module.replace(".", "_")
        imports[module] = alias
        return f"{alias}.{full_name.rsplit('.', 1)[1]}"

    def hint(ref: str) -> str:
        # A JSON payload is whatever the JSON converter takes: typed as Any.
        return "Any" if ref == "JsonPayload" else ref

    body: list[str] = []
    constants: dict[str, str] = {}

    def named_values(service_name: str, values: Any, suffix: str) -> None:
        for item in values:
            if not _CONSTANT_NAME.match(item.constant) or not item.value:
                raise PluginError(
                    f"{service_name}: {suffix.lower()} {item.constant!r} needs an UPPER_SNAKE "
                    "constant and a value"
                )
            name = f"{item.constant}_{suffix}"
            if name in constants:
                raise PluginError(f"{service_name}: {name} is declared twice in {proto.name}")
            constants[name] = service_name
            body.append(f"{name}: Final = {item.value!r}\n")

    for service, svc_opts in services:
        queue = f"{_constant(service.name)}_QUEUE"
        if not svc_opts.task_queue.name:
            raise PluginError(f"{service.name}: the service option needs task_queue.name")
        body.append(
            f"{queue} = TaskQueue(default={svc_opts.task_queue.name!r}, env={svc_opts.task_queue.env!r})\n"
        )
        named_values(service.name, svc_opts.memo_keys, "MEMO")
        named_values(service.name, svc_opts.error_types, "ERROR")
        named_values(service.name, svc_opts.header_keys, "HEADER")
        wf_names: list[str] = []
        act_names: list[str] = []
        # Signals and queries are emitted after every method so their workflow constant exists.
        signals: list[tuple[str, str, Any]] = []
        queries: list[tuple[str, str, Any]] = []
        for method in service.method:
            opts = method.options if method.HasField("options") else None
            wf = reader.read(opts, "MethodOptions", "workflow")
            act = reader.read(opts, "MethodOptions", "activity")
            sig = reader.read(opts, "MethodOptions", "signal")
            query = reader.read(opts, "MethodOptions", "query")
            if sum(option is not None for option in (wf, act, sig, query)) != 1:
                raise PluginError(
                    f"{service.name}.{method.name}: declare exactly one of the workflow, "
                    "activity, signal or query options"
                )
            in_t = type_ref(method.input_type.lstrip("."))
            const = _constant(method.name)
            if sig is not None:
                signals.append((const, in_t, sig))
                continue
            out_t = type_ref(method.output_type.lstrip("."))
            if query is not None:
                queries.append((const, out_t, query))
                continue
            if wf is not None:
                wf_names.append(const)
                body.append(
                    f"\n{const}: WorkflowContract[{hint(in_t)}, {hint(out_t)}] = WorkflowContract(\n"
                    + _kwargs(
                        [
                            ("name", repr(wf.name or method.name)),
                            ("input_type", in_t),
                            ("output_type", out_t),
                            ("task_queue", queue),
                            ("id_template", repr(wf.id) if wf.id else None),
                            ("execution_timeout", _duration(wf.execution_timeout)),
                            ("run_timeout", _duration(wf.run_timeout)),
                        ]
                    )
                    + ")\n"
                )
            else:
                assert act is not None
                act_names.append(const)
                body.append(
                    f"\n{const}: ActivityContract[{hint(in_t)}, {hint(out_t)}] = ActivityContract(\n"
                    + _kwargs(
                        [
                            ("name", repr(act.name or method.name)),
                            ("input_type", in_t),
                            ("output_type", out_t),
                            ("task_queue", queue),
                            ("local", "True" if act.local else None),
                            ("start_to_close_timeout", _duration(act.start_to_close_timeout)),
                            ("schedule_to_close_timeout", _duration(act.schedule_to_close_timeout)),
                            ("heartbeat_timeout", _duration(act.heartbeat_timeout)),
                            (
                                "retry_policy",
                                _retry(act.retry_policy, act.HasField("retry_policy")),
                            ),
                        ]
                    )
                    + ")\n"
                )
        workflow_methods = {
            m.name: _constant(m.name)
            for m in service.method
            if reader.read(
                m.options if m.HasField("options") else None, "MethodOptions", "workflow"
            )
            is not None
        }
        for const, in_t, sig in signals:
            if not sig.name:
                raise PluginError(f"{service.name}.{const}: the signal option needs a name")
            target = workflow_methods.get(sig.workflow)
            if target is None:
                raise PluginError(
                    f"{service.name}: signal {sig.name!r} names {sig.workflow!r}, "
                    "which is not a workflow of this service"
                )
            body.append(
                f"\n{const}: SignalContract[{hint(in_t)}] = SignalContract(\n"
                + _kwargs([("name", repr(sig.name)), ("input_type", in_t), ("workflow", target)])
                + ")\n"
            )
        for const, out_t, query in queries:
            if not query.name:
                raise PluginError(f"{service.name}.{const}: the query option needs a name")
            target = workflow_methods.get(query.workflow)
            if target is None:
                raise PluginError(
                    f"{service.name}: query {query.name!r} names {query.workflow!r}, "
                    "which is not a workflow of this service"
                )
            body.append(
                f"\n{const}: QueryContract[{hint(out_t)}] = QueryContract(\n"
                + _kwargs(
                    [("name", repr(query.name)), ("output_type", out_t), ("workflow", target)]
                )
                + ")\n"
            )
        body.append(
            f"\n{_constant(service.name)} = ServiceContract(\n"
            f"    name={service.name!r},\n"
            f"    task_queue={queue},\n"
            f"    workflows=({''.join(n + ', ' for n in wf_names)}),\n"
            f"    activities=({''.join(n + ', ' for n in act_names)}),\n"
            f"    signals=({''.join(c + ', ' for c, _, _ in signals)}),\n"
            f"    queries=({''.join(c + ', ' for c, _, _ in queries)}),\n"
            ")\n\n"
        )

    header = (
        f"# Generated by protoc-gen-stigmer-temporal from {proto.name}. DO NOT EDIT.\n"
        '"""Temporal contract constants and typed helpers (see stigmer_temporal)."""\n\n'
        "from datetime import timedelta  # noqa: F401\n"
        "from typing import Any, Final  # noqa: F401\n\n"
        "from stigmer_temporal import (  # noqa: F401\n"
        "    ActivityContract,\n    JsonPayload,\n    QueryContract,\n    RetryPolicySpec,\n"
        "    ServiceContract,\n    SignalContract,\n    TaskQueue,\n    WorkflowContract,\n)\n"
    )
    header += "".join(f"import {module} as {alias}\n" for module, alias in sorted(imports.items()))
    return header + "\n" + "".join(body)


def main() -> None:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    response = plugin_pb2.CodeGeneratorResponse()
    response.supported_features = plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    message_files: dict[str, str] = {}
    for proto in request.proto_file:
        prefix = f"{proto.package}." if proto.package else ""

        def collect(messages: Any, scope: str, file_name: str = proto.name) -> None:
            for message in messages:
                message_files[scope + message.name] = file_name
                collect(message.nested_type, f"{scope}{message.name}.", file_name)

        collect(proto.message_type, prefix)
    try:
        reader = _OptionReader(list(request.proto_file))
        by_name = {p.name: p for p in request.proto_file}
        for name in request.file_to_generate:
            content = generate_file(by_name[name], reader, message_files)
            if content is not None:
                out = response.file.add()
                out.name = name[: -len(".proto")] + "_temporal.py"
                out.content = content
    except (PluginError, KeyError) as error:
        response.error = str(error)
    sys.stdout.buffer.write(response.SerializeToString())


if __name__ == "__main__":
    main()
