"""DSL 1.0 document -> ``stigmer.workflow.v1.Workflow`` resource (``stigmer apply`` of a DSL file).

The inverse of :mod:`.to_dsl`: DSL -> Workflow -> DSL gives the same document,
up to the spellings the typed configs store in one canonical form (see
:func:`stigmer_dsl.converter.canonical.canonical_document`): durations as
ISO 8601 text, an endpoint ``{uri: x}`` without other keys as ``x``, HTTP
methods in one case. Blocks the spec keeps as written (Struct / Value fields:
top-level ``input``/``output``/``use``/``schedule``..., task-level
``input``/``output``/``timeout``/``metadata``) are copied verbatim. A DSL key
with no field in the spec is an error naming the field, never dropped silently.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, struct_pb2
from stigmer.commons.v1 import metadata_pb2
from stigmer.workflow.v1 import api_pb2

from stigmer_dsl.converter.to_dsl import ConversionError
from stigmer_dsl.durations import parse_duration

Json = dict[str, Any]

#: Task-level keys every kind may carry (besides the kind's own keys).
_COMMON_KEYS = frozenset({"export", "then", "if", "input", "output", "timeout", "metadata"})
#: Top-level keys the spec keeps as written (Struct fields of WorkflowSpec).
_TOP_LEVEL_STRUCTS = ("input", "output", "use", "schedule", "evaluate")
_TOP_LEVEL_KEYS = frozenset({"document", "do", "timeout", *_TOP_LEVEL_STRUCTS})
_DOCUMENT_KEYS = frozenset(
    {"dsl", "namespace", "name", "version", "title", "summary", "tags", "metadata"}
)
#: Calls with a typed config; any other `call` is a FUNCTION_CALL kept as written.
_TYPED_CALLS = frozenset({"http", "grpc", "activity", "agent"})


def workflow_from_dsl(document: Mapping[str, Any]) -> tuple[api_pb2.Workflow, list[str]]:
    """A Workflow resource for ``document`` plus notes for the user (none today: nothing is
    dropped; kept so callers that print notes need no change when one is needed again).

    Raises:
        ConversionError: the document is not a DSL workflow the spec can express.
    """
    head = document.get("document")
    if not isinstance(head, Mapping):
        raise ConversionError("document: required (a DSL 1.0 workflow has a document block)")
    tasks = document.get("do")
    if not isinstance(tasks, list) or not tasks:
        raise ConversionError("do: at least one task is required")
    unknown = sorted(set(document) - _TOP_LEVEL_KEYS, key=str)
    if unknown:
        raise ConversionError(f"{unknown[0]}: not a DSL 1.0 top-level key")
    unknown = sorted(set(head) - _DOCUMENT_KEYS, key=str)
    if unknown:
        raise ConversionError(f"document.{unknown[0]}: not a DSL 1.0 document key")
    spec = api_pb2.WorkflowSpec(
        description=str(head.get("summary") or ""),
        document=api_pb2.WorkflowDocument(
            dsl=str(head.get("dsl") or ""),
            namespace=str(head.get("namespace") or ""),
            name=str(head.get("name") or ""),
            version=str(head.get("version") or ""),
            title=str(head.get("title") or ""),
        ),
    )
    tags = head.get("tags")
    if tags is not None:
        if not isinstance(tags, Mapping):
            raise ConversionError("document.tags: expected a mapping of strings")
        spec.document.tags.update({str(k): str(v) for k, v in tags.items()})
    if head.get("metadata") is not None:
        _struct_into(spec.document.metadata, head["metadata"], "document.metadata")
    for key in _TOP_LEVEL_STRUCTS:
        if document.get(key) is not None:
            _struct_into(getattr(spec, key), document[key], key)
    if document.get("timeout") is not None:
        _value_into(spec.timeout, document["timeout"], "timeout")
    spec.tasks.extend(_tasks(tasks, "do"))
    workflow = api_pb2.Workflow(
        api_version="stigmer.ai/v1",
        kind="Workflow",
        metadata=metadata_pb2.ApiResourceMetadata(name=spec.document.name),
        spec=spec,
    )
    return workflow, []


def _plain(value: Any, path: str) -> Any:
    """``value`` with string keys only (JSON), or an error naming the first bad key.

    YAML 1.1 reads an unquoted ``on`` key as the boolean true; the spec's keys are
    strings, so such a key is written back as ``on``.
    """
    if isinstance(value, Mapping):
        plain: Json = {}
        for key, item in value.items():
            if key is True:
                key = "on"
            elif not isinstance(key, str):
                raise ConversionError(f"{path}.{key}: keys must be strings")
            plain[key] = _plain(item, f"{path}.{key}")
        return plain
    if isinstance(value, list):
        return [_plain(item, f"{path}[{index}]") for index, item in enumerate(value)]
    return value


def _struct_into(target: struct_pb2.Struct, value: Any, path: str) -> None:
    if not isinstance(value, Mapping):
        raise ConversionError(f"{path}: expected a mapping")
    target.update(_plain(value, path))


def _value_into(target: struct_pb2.Value, value: Any, path: str) -> None:
    json_format.ParseDict(_plain(value, path), target)


def _tasks(items: Any, path: str) -> list[api_pb2.WorkflowTask]:
    if not isinstance(items, list):
        raise ConversionError(f"{path}: expected a list of tasks")
    converted = []
    for index, item in enumerate(items):
        where = f"{path}[{index}]"
        if not isinstance(item, Mapping) or len(item) != 1:
            raise ConversionError(f"{where}: a task is a one-key mapping {{name: definition}}")
        ((name, body),) = item.items()
        if not isinstance(body, Mapping):
            raise ConversionError(f"{where}.{name}: expected a mapping")
        converted.append(_task(str(name), body, f"{where}.{name}"))
    return converted


def _task(name: str, body: Mapping[str, Any], path: str) -> api_pb2.WorkflowTask:
    kind, config, used = _kind_and_config(body, path)
    extra = sorted(set(body) - used - _COMMON_KEYS, key=str)
    if extra:
        raise ConversionError(f"{path}.{extra[0]}: not supported in a Workflow spec task")
    task = api_pb2.WorkflowTask(name=name, kind=kind)
    _struct_into(task.task_config, config, path)
    export = body.get("export")
    if export is not None:
        if not isinstance(export, Mapping):
            raise ConversionError(f"{path}.export: expected a mapping")
        unknown = sorted(set(export) - {"as", "schema"}, key=str)
        if unknown:
            raise ConversionError(f"{path}.export.{unknown[0]}: not a DSL export key")
        export_as = export.get("as")
        if isinstance(export_as, str):
            setattr(task.export, "as", export_as)  # "as" is a Python keyword
        elif export_as is not None:
            _value_into(task.export.as_object, export_as, f"{path}.export.as")
        if export.get("schema") is not None:
            _struct_into(task.export.schema, export["schema"], f"{path}.export.schema")
    if body.get("then"):
        task.flow.then = str(body["then"])
    if body.get("if") is not None:
        task.condition = _text(body["if"])
    for key in ("input", "output", "metadata"):
        if body.get(key) is not None:
            _struct_into(getattr(task, key), body[key], f"{path}.{key}")
    if body.get("timeout") is not None:
        _value_into(task.timeout, body["timeout"], f"{path}.timeout")
    return task


def _text(value: Any) -> str:
    """Spec strings hold expressions; a non-string literal is kept as a jq literal."""
    if isinstance(value, str):
        return value
    return "${ " + json.dumps(value) + " }"


def _kind_and_config(
    body: Mapping[str, Any], path: str
) -> tuple[api_pb2.WorkflowTaskKind.ValueType, Json, set[str]]:
    if "set" in body:
        value = body["set"]
        if isinstance(value, str):
            return api_pb2.SET, {"expression": value}, {"set"}
        return api_pb2.SET, {"variables": value}, {"set"}
    if "call" in body:
        return _call(body, path)
    if "switch" in body:
        cases = []
        for index, case in enumerate(body["switch"] or []):
            if not isinstance(case, Mapping) or len(case) != 1:
                raise ConversionError(f"{path}.switch[{index}]: a case is {{name: {{when, then}}}}")
            ((case_name, case_body),) = case.items()
            entry: Json = {"name": str(case_name), "then": str(case_body.get("then") or "")}
            if case_body.get("when"):
                entry["when"] = case_body["when"]
            cases.append(entry)
        return api_pb2.SWITCH, {"cases": cases}, {"switch"}
    if "for" in body:
        loop = body["for"] or {}
        config: Json = {"in": loop.get("in"), "do": _nested(body.get("do"), f"{path}.do")}
        for key in ("each", "at"):
            if loop.get(key):
                config[key] = loop[key]
        if body.get("while"):
            config["while"] = body["while"]
        return api_pb2.FOR, config, {"for", "do", "while"}
    if "fork" in body:
        fork = body["fork"] or {}
        config = {"branches": _nested(fork.get("branches"), f"{path}.fork.branches")}
        if fork.get("compete"):
            config["compete"] = True
        return api_pb2.FORK, config, {"fork"}
    if "try" in body:
        return api_pb2.TRY, _try(body, path), {"try", "catch"}
    if "listen" in body:
        config = _listen(body["listen"], f"{path}.listen")
        if body.get("foreach") is not None:
            config["foreach"] = body["foreach"]
        return api_pb2.LISTEN, config, {"listen", "foreach"}
    if "wait" in body:
        return api_pb2.WAIT, {"duration": iso_duration(body["wait"], f"{path}.wait")}, {"wait"}
    if "raise" in body:
        error = (body["raise"] or {}).get("error")
        if isinstance(error, str):
            return api_pb2.RAISE, {"errorName": error}, {"raise"}
        if not isinstance(error, Mapping):
            raise ConversionError(f"{path}.raise.error: an error definition or name is required")
        return api_pb2.RAISE, {"error": dict(error)}, {"raise"}
    if "run" in body:
        return api_pb2.RUN, _run(body["run"], f"{path}.run"), {"run"}
    if "emit" in body:
        event = (body["emit"] or {}).get("event")
        if not isinstance(event, Mapping) or not isinstance(event.get("with"), Mapping):
            raise ConversionError(f"{path}.emit.event.with: the event's attributes are required")
        return api_pb2.EMIT, {"event": dict(event["with"])}, {"emit"}
    if "do" in body:
        return api_pb2.DO, {"do": _nested(body["do"], f"{path}.do")}, {"do"}
    raise ConversionError(f"{path}: task kind not supported in a Workflow spec ({', '.join(body)})")


def _call(
    body: Mapping[str, Any], path: str
) -> tuple[api_pb2.WorkflowTaskKind.ValueType, Json, set[str]]:
    call = body["call"]
    args = dict(body.get("with") or {})
    used = {"call", "with"}
    if call not in _TYPED_CALLS:
        return api_pb2.FUNCTION_CALL, {"call": str(call), "with": args}, used
    if call == "http":
        endpoint = args.get("endpoint")
        uri = endpoint.get("uri") if isinstance(endpoint, Mapping) else endpoint
        config: Json = {
            "method": str(args.get("method") or "get").upper(),
            "endpoint": {"uri": uri},
        }
        if isinstance(endpoint, Mapping) and endpoint.get("authentication") is not None:
            config["endpoint"]["authentication"] = endpoint["authentication"]
        for key in ("headers", "query"):
            if isinstance(args.get(key), str):  # one expression for the whole map
                config[f"{key}Expression"] = args[key]
            elif key in args:
                config[key] = args[key]
        for key in ("body", "output", "redirect"):
            if key in args:
                config[key] = args[key]
        return api_pb2.HTTP_CALL, config, used
    if call == "grpc":
        proto = args.get("proto") or {}
        config = {
            "proto": {"uri": proto.get("endpoint") if isinstance(proto, Mapping) else proto},
            "service": args.get("service") or {},
            "method": args.get("method"),
        }
        if args.get("arguments"):
            config["arguments"] = args["arguments"]
        return api_pb2.GRPC_CALL, config, used
    if call == "activity":
        config = {"activity": args.get("name")}
        if args.get("taskQueue"):
            config["taskQueue"] = args["taskQueue"]
        if "input" in args:
            config["input"] = args["input"]
        timeout = args.get("startToCloseTimeout")
        if timeout is not None:
            config["timeoutSeconds"] = _seconds(timeout, f"{path}.with.startToCloseTimeout")
        return api_pb2.CALL_ACTIVITY, config, used
    config = {
        k: args[k] for k in ("agent", "message", "session", "org", "env", "model") if k in args
    }
    return api_pb2.AGENT_CALL, config, used


def _seconds(value: Any, path: str) -> int:
    text = iso_duration(value, path)
    return max(1, round(parse_duration(text, field_name=path).total_seconds()))


_UNITS = (("days", "D"), ("hours", "H"), ("minutes", "M"), ("seconds", "S"))


def iso_duration(value: Any, path: str) -> str:
    """An ISO 8601 duration from a DSL duration (ISO text or {days, ..., milliseconds})."""
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping) or not value:
        raise ConversionError(f"{path}: expected an ISO 8601 duration or a duration object")
    unknown = sorted(set(value) - {"days", "hours", "minutes", "seconds", "milliseconds"})
    if unknown:
        raise ConversionError(f"{path}.{unknown[0]}: not a duration unit")
    days = int(value.get("days", 0))
    time = ""
    for key, unit in _UNITS[1:3]:
        if value.get(key):
            time += f"{int(value[key])}{unit}"
    seconds = float(value.get("seconds", 0)) + float(value.get("milliseconds", 0)) / 1000
    if seconds:
        time += f"{seconds:.3f}".rstrip("0").rstrip(".") + "S"
    text = "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")
    return text if text != "P" else "PT0S"


def _nested(items: Any, path: str) -> list[Json]:
    return [_task_json(task) for task in _tasks(items, path)]


def _task_json(task: api_pb2.WorkflowTask) -> Json:
    converted: Json = json_format.MessageToDict(task, preserving_proto_field_name=True)
    return converted


def _try(body: Mapping[str, Any], path: str) -> Json:
    catch = body.get("catch") or {}
    catch_config: Json = {}
    errors = catch.get("errors")
    if isinstance(errors, Mapping) and errors.get("with"):
        catch_config["errors"] = dict(errors["with"])
    for key, target in (("as", "as"), ("when", "when"), ("exceptWhen", "except_when")):
        if catch.get(key):
            catch_config[target] = catch[key]
    retry = catch.get("retry")
    if isinstance(retry, str):
        catch_config["retry_name"] = retry
    elif isinstance(retry, Mapping):
        catch_config["retry"] = _retry(retry, f"{path}.catch.retry")
    if catch.get("do"):
        catch_config["do"] = _nested(catch["do"], f"{path}.catch.do")
    return {"try": _nested(body["try"], f"{path}.try"), "catch": catch_config}


def _retry(retry: Mapping[str, Any], path: str) -> Json:
    config: Json = {}
    if retry.get("delay") is not None:
        config["delay"] = iso_duration(retry["delay"], f"{path}.delay")
    backoff = retry.get("backoff")
    if isinstance(backoff, Mapping) and backoff:
        config["backoff"] = next(iter(backoff))
    limit = retry.get("limit") or {}
    attempt = limit.get("attempt") or {}
    if attempt.get("count"):
        config["limit_attempts"] = int(attempt["count"])
    if limit.get("duration") is not None:
        config["limit_duration"] = iso_duration(limit["duration"], f"{path}.limit.duration")
    jitter = retry.get("jitter") or {}
    for key, target in (("from", "jitter_from"), ("to", "jitter_to")):
        if jitter.get(key) is not None:
            config[target] = iso_duration(jitter[key], f"{path}.jitter.{key}")
    for key, target in (("when", "when"), ("exceptWhen", "except_when")):
        if retry.get(key):
            config[target] = retry[key]
    return config


def _listen(listen: Mapping[str, Any], path: str) -> Json:
    to = listen.get("to") or {}
    for mode in ("one", "any", "all"):
        if mode in to:
            filters = [to[mode]] if mode == "one" else list(to[mode] or [])
            events = []
            for index, event in enumerate(filters):
                event = event or {}
                match = dict(event.get("with") or {})
                if not match.get("type"):
                    raise ConversionError(f"{path}.to.{mode}[{index}].with.type: required")
                entry: Json = {"type": match.pop("type")}
                if "source" in match:
                    entry["source"] = match.pop("source")
                for key, value in match.items():
                    if not isinstance(value, str):
                        where = f"{path}.to.{mode}[{index}].with.{key}"
                        raise ConversionError(f"{where}: a filter attribute is a string")
                if match:
                    entry["attributes"] = dict(match)
                if event.get("correlate") is not None:
                    entry["correlate"] = event["correlate"]
                events.append(entry)
            config: Json = {"mode": mode, "events": events}
            if to.get("until") is not None:
                config["until"] = to["until"]
            if listen.get("read") is not None:
                config["read"] = listen["read"]
            return config
    raise ConversionError(f"{path}.to: one of one, any, all is required")


_RUN_KEYS = {
    "shell": frozenset({"command", "arguments", "environment", "stdin"}),
    "script": frozenset({"language", "code", "source", "arguments", "environment", "stdin"}),
    "container": frozenset(
        {
            "image",
            "name",
            "command",
            "ports",
            "volumes",
            "environment",
            "stdin",
            "arguments",
            "lifetime",
            "pullPolicy",
        }
    ),
    "workflow": frozenset({"namespace", "name", "version", "input"}),
}


def _run(run: Mapping[str, Any], path: str) -> Json:
    config: Json = {}
    for target, keys in _RUN_KEYS.items():
        if target in run:
            process = dict(run[target] or {})
            unknown = sorted(set(process) - keys, key=str)
            if unknown:
                raise ConversionError(f"{path}.{target}.{unknown[0]}: not supported")
            config[target] = process
    if len(config) != 1:
        raise ConversionError(f"{path}: exactly one of shell, script, container, workflow")
    for key in ("await", "return"):
        if key in run:
            config[key] = run[key]
    return config
