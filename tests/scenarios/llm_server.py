"""A scripted OpenAI-compatible chat-completions server on loopback, for tests.

Each POST to /v1/chat/completions takes the next scripted step from a queue:
    answer(content)            200 with the content as the assistant message
    tool_call(name, arguments) 200 with one tool call whose arguments are that JSON
    stall(seconds)             sleeps, then answers (outlives a short client timeout)
    status(code)               an error response (500, 429 …) in OpenAI's error shape
    raw(body)                  200 with a body that is not a completion at all
With the queue empty it answers 500, so an unexpected extra call is visible in the test.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Step:
    kind: str
    payload: object = None
    usage: tuple[int, int] = (120, 30)


def answer(content, usage=(120, 30)) -> Step:
    return Step("answer", content if isinstance(content, str) else json.dumps(content), usage)


def tool_call(name: str, arguments: dict, usage=(120, 30)) -> Step:
    return Step("tool_call", (name, json.dumps(arguments)), usage)


def stall(seconds: float) -> Step:
    return Step("stall", seconds)


def status(code: int) -> Step:
    return Step("status", code)


def raw(body: str) -> Step:
    return Step("raw", body)


@dataclass
class ScriptedLLM:
    steps: queue.Queue = field(default_factory=queue.Queue)
    requests: list = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def script(self, *steps: Step) -> None:
        for step in steps:
            self.steps.put(step)

    def start(self) -> ScriptedLLM:
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, code: int, body: str, headers: dict | None = None):
                data = body.encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing to answer

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                request = json.loads(self.rfile.read(length) or b"{}")
                scripted.requests.append(
                    {
                        "path": self.path,
                        "json": request,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                    }
                )
                try:
                    step = scripted.steps.get_nowait()
                except queue.Empty:
                    step = Step("status", 500)
                if step.kind == "stall":
                    time.sleep(step.payload)
                    step = answer({"stalled": True})
                if step.kind == "status":
                    headers = {"Retry-After": "0"} if step.payload == 429 else {}
                    error = {
                        "error": {"message": f"scripted {step.payload}", "type": "scripted", "code": None}
                    }
                    self._send(step.payload, json.dumps(error), headers)
                    return
                if step.kind == "raw":
                    self._send(200, step.payload)
                    return
                message = {"role": "assistant", "content": None}
                if step.kind == "answer":
                    message["content"] = step.payload
                else:
                    name, arguments = step.payload
                    message["tool_calls"] = [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": name, "arguments": arguments},
                        }
                    ]
                prompt, completion = step.usage
                body = {
                    "id": "chatcmpl-scripted",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": request.get("model", "scripted"),
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                    "usage": {
                        "prompt_tokens": prompt,
                        "completion_tokens": completion,
                        "total_tokens": prompt + completion,
                    },
                }
                self._send(200, json.dumps(body))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
