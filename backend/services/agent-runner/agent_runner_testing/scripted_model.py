"""A scripted OpenAI-compatible chat-completions server on loopback, for tests.

It speaks what real clients read: ``POST /v1/chat/completions`` answered
plainly (``stream: false``) or as server-sent events (content in small
deltas, each tool call's name first and its JSON arguments split across
several deltas, a usage chunk when ``stream_options.include_usage`` asks for
it, then ``[DONE]``). Every request body is recorded. What to answer is
decided per request by ``decide`` (default: :func:`tool_then_answer`), so a
request sent again by a retried attempt gets the same kind of answer. A
request for which ``hold`` returns true is not answered until
:meth:`ScriptedModel.release` (or the client goes away).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class ToolCallReply:
    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    text: str = ""
    tool_calls: tuple[ToolCallReply, ...] = ()


Body = dict[str, Any]


def _text(content: Any) -> str:
    """A message's text: a string, or the text parts of a content-part list."""
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content or [] if isinstance(p, dict))


def user_texts(body: Body) -> list[str]:
    """The user messages of a request, oldest first."""
    return [_text(m["content"]) for m in body.get("messages", []) if m.get("role") == "user"]


def tool_then_answer(body: Body) -> Reply:
    """With tools offered and a user turn last: call the first tool once; after the
    tool's result: answer quoting it and every user message of the thread."""
    messages = body.get("messages", [])
    last = messages[-1] if messages else {}
    tools = body.get("tools") or []
    if last.get("role") == "user" and tools and "tool" in str(last.get("content")):
        name = tools[0]["function"]["name"]
        return Reply(tool_calls=(ToolCallReply(name, {"label": "from-model", "times": 1}),))
    results = [_text(m["content"]) for m in messages if m.get("role") == "tool"]
    heard = " | ".join(user_texts(body))
    tail = f" Tool said: {results[-1]}." if last.get("role") == "tool" else ""
    return Reply(text=f"I heard: {heard}.{tail}")


@dataclass
class ScriptedModel:
    """The server; use as a context manager. ``base_url`` ends in ``/v1``."""

    decide: Callable[[Body], Reply] = tool_then_answer
    hold: Callable[[Body], bool] = lambda body: False
    requests: list[Body] = field(default_factory=list)
    #: An HTTP status to answer every request with instead (0: answer normally).
    fail_with: int = 0
    #: The Authorization header of each request, in order.
    authorizations: list[str] = field(default_factory=list)
    _released: threading.Event = field(default_factory=threading.Event)
    _held: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> ScriptedModel:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def release(self) -> None:
        """Answer the held request(s) and hold none from now on."""
        self.hold = lambda body: False
        self._released.set()

    def wait_held(self, timeout: float) -> bool:
        """Whether a request was held within ``timeout`` seconds."""
        return self._held.wait(timeout)

    def _next_id(self) -> int:
        with self._lock:
            self._counter += 1
            return self._counter

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        model = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # close-delimited bodies: SSE needs no framing

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                if not self.path.endswith("/chat/completions"):
                    self.send_error(404)
                    return
                body: Body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with model._lock:
                    model.requests.append(body)
                    model.authorizations.append(self.headers.get("Authorization", ""))
                if model.fail_with:
                    error = json.dumps({"error": {"message": "refused", "type": "scripted"}})
                    self.send_response(model.fail_with)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(error)))
                    self.end_headers()
                    self.wfile.write(error.encode())
                    return
                if model.hold(body):
                    model._held.set()
                    model._released.wait()
                reply = model.decide(body)
                number = model._next_id()
                if body.get("stream"):
                    self._stream(body, reply, number)
                else:
                    self._plain(body, reply, number)

            def _plain(self, body: Body, reply: Reply, number: int) -> None:
                message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
                if reply.tool_calls:
                    message["tool_calls"] = [
                        {
                            "id": f"call_{number}_{i}",
                            "type": "function",
                            "function": {"name": c.name, "arguments": json.dumps(c.args)},
                        }
                        for i, c in enumerate(reply.tool_calls)
                    ]
                payload = {
                    "id": f"chatcmpl-{number}",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model", "scripted"),
                    "choices": [
                        {
                            "index": 0,
                            "message": message,
                            "finish_reason": "tool_calls" if reply.tool_calls else "stop",
                        }
                    ],
                    "usage": _usage(body, reply),
                }
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: Body, reply: Reply, number: int) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                base = {
                    "id": f"chatcmpl-{number}",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": body.get("model", "scripted"),
                }

                def send(choices: list[dict[str, Any]], **extra: Any) -> None:
                    chunk = {**base, "choices": choices, **extra}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()

                def delta(d: dict[str, Any], finish: str | None = None) -> None:
                    send([{"index": 0, "delta": d, "finish_reason": finish}])

                delta({"role": "assistant", "content": ""})
                text = reply.text
                for start in range(0, len(text), 4):
                    delta({"content": text[start : start + 4]})
                for i, call in enumerate(reply.tool_calls):
                    delta(
                        {
                            "tool_calls": [
                                {
                                    "index": i,
                                    "id": f"call_{number}_{i}",
                                    "type": "function",
                                    "function": {"name": call.name, "arguments": ""},
                                }
                            ]
                        }
                    )
                    arguments = json.dumps(call.args)
                    for start in range(0, len(arguments), 5):
                        delta(
                            {
                                "tool_calls": [
                                    {
                                        "index": i,
                                        "function": {"arguments": arguments[start : start + 5]},
                                    }
                                ]
                            }
                        )
                delta({}, "tool_calls" if reply.tool_calls else "stop")
                if (body.get("stream_options") or {}).get("include_usage"):
                    send([], usage=_usage(body, reply))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler


def _usage(body: Body, reply: Reply) -> dict[str, int]:
    prompt = sum(len(str(m.get("content") or "")) for m in body.get("messages", [])) // 4 + 1
    completion = len(reply.text) // 4 + 4 * len(reply.tool_calls) + 1
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
