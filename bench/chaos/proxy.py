"""A faulty front for the e-conomic emulator: the chaos run's e-conomic.

Every request goes through to the emulator unless a fault is drawn: a 503, a 429 with a short
Retry-After, or (for a write) the write is passed on and committed, then the connection is cut
before the answer, the way a lost reply looks to the client. During an outage every request gets
a 503. Runs in a thread of the chaos harness (a plain threading HTTP server, so the cut works the
same whatever serves the emulator).
"""

import json
import random
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


@dataclass
class FaultRates:
    unavailable: float = 0.10  # 503
    throttled: float = 0.05  # 429 with Retry-After
    dropped_after_commit: float = 0.02  # writes only
    outage: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, name: str) -> None:
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1


class FaultyProxy:
    def __init__(self, upstream: str, rates: FaultRates, *, seed: int = 7):
        self.upstream = upstream.rstrip("/")
        self.rates = rates
        self.random = random.Random(seed)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.proxy = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "FaultyProxy":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def draw(self, method: str) -> str:
        if self.rates.outage:
            return "outage"
        roll = self.random.random()
        if roll < self.rates.unavailable:
            return "unavailable"
        if roll < self.rates.unavailable + self.rates.throttled:
            return "throttled"
        if method in ("POST", "PUT") and roll < sum(
            (self.rates.unavailable, self.rates.throttled, self.rates.dropped_after_commit)
        ):
            return "dropped"
        return ""


_local = threading.local()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet: the harness prints its own summary
        pass

    def _answer(self, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _forward(self, proxy: FaultyProxy, body: bytes | None) -> requests.Response:
        if not hasattr(_local, "session"):
            _local.session = requests.Session()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
        return _local.session.request(
            self.command, proxy.upstream + self.path, data=body, headers=headers, timeout=60
        )

    def _relay(self, upstream: requests.Response) -> None:
        self.send_response(upstream.status_code)
        for name, value in upstream.headers.items():
            if name.lower() not in HOP_HEADERS:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(upstream.content)))
        self.end_headers()
        self.wfile.write(upstream.content)

    def _handle(self) -> None:
        proxy: FaultyProxy = self.server.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        fault = proxy.draw(self.command)
        if fault:
            proxy.rates.count(fault)
        if fault in ("outage", "unavailable"):
            self._answer(503, {"message": "Service unavailable (chaos).", "errorCode": "E05030"})
        elif fault == "throttled":
            wait = str(proxy.random.choice((1, 2)))
            self._answer(429, {"message": "Too many requests (chaos)."}, {"Retry-After": wait})
        elif fault == "dropped":
            self._forward(proxy, body)  # committed upstream; the reply never arrives
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self._relay(self._forward(proxy, body))

    do_GET = do_POST = do_PUT = do_DELETE = _handle
