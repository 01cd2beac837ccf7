"""DSL 1.0 document -> ``stigmer.workflow.v1.Workflow`` resource (``stigmer apply`` of a DSL file).

The inverse of :mod:`.to_dsl` for what a Workflow spec can hold. DSL features
the spec has no field for (task-level ``if``/``input``/``output``, a top-level
``input.schema`` ...) are reported as errors naming the field, except the
top-level ``input``/``output``/``use`` blocks, which the spec cannot carry and
are dropped with a note returned to the caller, so the user knows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, struct_pb2
from stigmer.commons.v1 import metadata_pb2
from stigmer.workflow.v1 import api_pb2

from workflow_runner.converter.to_dsl import ConversionError
from workflow_runner.engine.durations import parse_duration

Json = dict[str, Any]

#: Task-level keys every kind may carry (besides the kind's own keys).
_COMMON_KEYS = frozenset({"export", "then"})
#: Top-level keys the spec cannot carry; dropped with a note.
DROPPED_TOP_LEVEL = ("input", "output", "use", "timeout", "schedule", "evaluate")


def workflow_from_dsl(document: Mapping[str, Any]) -> tuple[api_pb2.Workflow, list[str]]:
    """A Workflow resource for ``document`` plus notes on what was dropped.

    Raises:
        ConversionError: the document is not a DSL workflow the spec can express.
    """
    head = document.get("document")
    if not isinstance(head, Mapping):
        raise ConversionError("document: required (a DSL 1.0 workflow has a document block)")
    tasks = document.get("do")
    if not isinstance(tasks, list) or not tasks:
        raise ConversionError("do: at least one task is required")
    notes = [
        f"top-level {key!r} has no field in a Workflow spec; not applied on the platform"
        for key in DROPPED_TOP_LEVEL
        if key in document
    ]
    spec = api_pb2.WorkflowSpec(
        description=str(head.get("summary") or ""),
        document=api_pb2.WorkflowDocument(
            dsl=str(head.get("dsl") or ""),
            namespace=str(head.get("namespace") or ""),
            name=str(head.get("name") or ""),
            version=str(head.get("version") or ""),
        ),
    )
    spec.tasks.extend(_tasks(tasks, "do"))
    workflow = api_pb2.Workflow(
        api_version="stigmer.ai/v1",
        kind="Workflow",
        metadata=metadata_pb2.ApiResourceMetadata(name=spec.document.name),
        spec=spec,
    )
    return workflow, notes


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
    extra = sorted(set(body) - used - _COMMON_KEYS)
    if extra:
        raise ConversionError(f"{path}.{extra[0]}: not supported in a Workflow spec task")
    task = api_pb2.WorkflowTask(name=name, kind=kind)
    struct = struct_pb2.Struct()
    struct.update(config)
    task.task_config.CopyFrom(struct)
    export = body.get("export")
    if isinstance(export, Mapping) and export.get("as") is not None:
        setattr(task.export, "as", _text(export["as"]))  # "as" is a Python keyword
    if body.get("then"):
        task.flow.then = str(body["then"])
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
        return api_pb2.SET, {"variables": body["set"]}, {"set"}
    if "call" in body:
        return _call(body, path)
    if "switch" in body:
        cases = []
        for index, case in enumerate(body["switch"] or []):
            if not isinstance(case, Mapping) or len(case) != 1:
                raise ConversionError(f"{path}.switch[{index}]: a case is {{name: {{when, then}}}}")
            ((case_name, case_body),) = case.items()
            entry: Json = {"name": str(case_name), "then": str(case_body.get("then") or "continue")}
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
        branches = []
        for index, branch in enumerate(fork.get("branches") or []):
            ((branch_name, branch_body),) = branch.items()
            where = f"{path}.fork.branches[{index}].{branch_name}.do"
            branches.append({"name": str(branch_name), "do": _nested(branch_body.get("do"), where)})
        config = {"branches": branches}
        if fork.get("compete"):
            config["compete"] = True
        return api_pb2.FORK, config, {"fork"}
    if "try" in body:
        return api_pb2.TRY, _try(body, path), {"try", "catch"}
    if "listen" in body:
        return api_pb2.LISTEN, _listen(body["listen"], f"{path}.listen"), {"listen"}
    if "wait" in body:
        return api_pb2.WAIT, {"duration": iso_duration(body["wait"], f"{path}.wait")}, {"wait"}
    if "raise" in body:
        error = (body["raise"] or {}).get("error")
        if not isinstance(error, Mapping):
            raise ConversionError(f"{path}.raise.error: an inline error definition is required")
        return api_pb2.RAISE, {"error": dict(error)}, {"raise"}
    if "run" in body:
        return api_pb2.RUN, _run(body["run"], f"{path}.run"), {"run"}
    raise ConversionError(f"{path}: task kind not supported in a Workflow spec ({', '.join(body)})")


def _call(
    body: Mapping[str, Any], path: str
) -> tuple[api_pb2.WorkflowTaskKind.ValueType, Json, set[str]]:
    call = body["call"]
    args = dict(body.get("with") or {})
    used = {"call", "with", "timeout"}
    if call == "http":
        endpoint = args.get("endpoint")
        uri = endpoint.get("uri") if isinstance(endpoint, Mapping) else endpoint
        config: Json = {
            "method": str(args.get("method") or "get").upper(),
            "endpoint": {"uri": uri},
        }
        for key in ("headers", "query", "body", "output"):
            if key in args:
                config[key] = args[key]
        _timeout_seconds(body, config, path)
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
        return api_pb2.GRPC_CALL, config, {"call", "with"}
    if call == "activity":
        config = {"activity": args.get("name")}
        if args.get("taskQueue"):
            config["taskQueue"] = args["taskQueue"]
        if "input" in args:
            config["input"] = args["input"]
        timeout = args.get("startToCloseTimeout")
        if timeout is not None:
            config["timeoutSeconds"] = _seconds(timeout, f"{path}.with.startToCloseTimeout")
        return api_pb2.CALL_ACTIVITY, config, {"call", "with"}
    if call == "agent":
        config = {k: args[k] for k in ("agent", "message", "org", "env", "model") if k in args}
        _timeout_seconds(body, config, path)
        return api_pb2.AGENT_CALL, config, used
    raise ConversionError(f"{path}.call: {call!r} calls are not supported in a Workflow spec")


def _timeout_seconds(body: Mapping[str, Any], config: Json, path: str) -> None:
    timeout = body.get("timeout")
    if timeout is None:
        return
    after = timeout.get("after") if isinstance(timeout, Mapping) else None
    if after is None:
        raise ConversionError(f"{path}.timeout.after: required (named timeouts are not supported)")
    config["timeoutSeconds"] = _seconds(after, f"{path}.timeout.after")


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
    if isinstance(retry, Mapping):
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
    return config


def _listen(listen: Mapping[str, Any], path: str) -> Json:
    to = listen.get("to") or {}
    for mode in ("one", "any", "all"):
        if mode in to:
            filters = [to[mode]] if mode == "one" else list(to[mode] or [])
            events = []
            for index, event in enumerate(filters):
                match = dict((event or {}).get("with") or {})
                if not match.get("type"):
                    raise ConversionError(f"{path}.to.{mode}[{index}].with.type: required")
                entry: Json = {"type": match.pop("type")}
                if "source" in match:
                    entry["source"] = match.pop("source")
                if match:
                    entry["attributes"] = {k: str(v) for k, v in match.items()}
                events.append(entry)
            return {"mode": mode, "events": events}
    raise ConversionError(f"{path}.to: one of one, any, all is required")


def _run(run: Mapping[str, Any], path: str) -> Json:
    config: Json = {}
    for target in ("shell", "script", "container", "workflow"):
        if target in run:
            config[target] = dict(run[target] or {})
    if len(config) != 1:
        raise ConversionError(f"{path}: exactly one of shell, script, container, workflow")
    if "await" in run:
        config["await"] = bool(run["await"])
    return config
