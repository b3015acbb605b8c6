"""The sandbox's HTTP front: read each request, route it, send the answer.

Paths under /api/v1/public are the RemyPass API (logged, open to faults),
/_sandbox/ is the control API, /wallet/ holds the pages wallet links open and
/ shows the dashboard.
"""

import logging
import re
import socket
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import control, endpoints, faults, web
from .web import API_BASE, CONTROL_BASE

logger = logging.getLogger(__name__)

WALLET_BASE = "/wallet"
MAX_BODY_BYTES = 1_000_000
BODYLESS_STATUSES = {204, 304}
EMAIL_IN_PATH = re.compile(r"[^/]*@[^/]*")
# Hosts the wallet links may name; anything else falls back to the bound
# address rather than echoing an arbitrary header into links and pages.
HOST_HEADER_PATTERN = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?")


class SandboxHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the store and the API keys."""

    daemon_threads = True
    # A delayed answer must not hold up shutdown; its thread ends by itself.
    block_on_close = False
    # Bursts of simultaneous requests, such as many tills retrying at once,
    # would overflow the default listen backlog of five.
    request_queue_size = 64

    def __init__(self, address, store, keys):
        super().__init__(address, SandboxRequestHandler)
        self.store = store
        self.keys = keys


def make_server(host, port, store, keys):
    """Return a bound, not yet serving, sandbox server."""
    return SandboxHTTPServer((host, port), store, keys)


class SandboxRequestHandler(BaseHTTPRequestHandler):
    """Answer one HTTP request; every failure ends as a 500 envelope."""

    server_version = "RemyPassSandbox/1.0"
    # Seconds a silent client may hold a thread before its socket is closed.
    timeout = 30

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def log_request(self, code="-", size="-"):
        """Skip the default access line; _send logs a shorter one."""

    def log_message(self, format, *args):
        logger.warning("%s", format % args)

    def _dispatch(self):
        self._answered = False
        self._path = urlsplit(self.path).path
        self._log_path = _loggable(self._path)
        try:
            self._route()
        except Exception:
            logger.exception("Sandbox failed on %s %s", self.command, self._log_path)
            if not self._answered:
                self._send(web.envelope_error(500, "Internal sandbox error"))

    def _route(self):
        raw_body = self._read_body()
        if raw_body is None:
            return self._send(web.envelope_error(413, "Request body too large"))
        request = self._request(raw_body)
        if _is_under(self._path, API_BASE):
            return self._serve_api(_relative(request, API_BASE))
        if self._path == "/" or _is_under(self._path, CONTROL_BASE):
            relative = _relative(request, CONTROL_BASE)
            return self._send(control.handle(relative, self.server.store))
        if _is_under(self._path, WALLET_BASE):
            relative = _relative(request, WALLET_BASE)
            return self._send(control.handle_wallet(relative, self.server.store))
        return self._send(web.envelope_error(404, "Endpoint not found"))

    def _serve_api(self, request):
        store, keys = self.server.store, self.server.keys
        entry = store.log_request(
            request.method, request.path, _booking_id(request.raw_body),
            _body_text(request.raw_body),
        )
        rule = store.take_fault(request.method, request.path)

        def run_handler():
            return endpoints.handle(request, store, keys)

        fault = rule["kind"] if rule else None
        if rule:
            response = faults.apply(rule, request.path, run_handler)
        else:
            response = run_handler()
        store.finish_request(entry, response.status, fault)
        self._send(response, fault)

    def _send(self, response, fault=None):
        self._answered = True
        if response.delay:
            time.sleep(response.delay)
        if response.drop:
            self._drop_connection()
        else:
            self._write(response)
        status = "dropped" if response.drop else response.status
        suffix = f" (fault: {fault})" if fault else ""
        logger.info("%s %s %s%s", self.command, self._log_path, status, suffix)

    def _write(self, response):
        try:
            self.send_response(response.status)
            # A status fault may ask for 204 or 304, which must carry no body.
            body = b"" if response.status in BODYLESS_STATUSES else response.body
            if response.content_type and body:
                self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up waiting (a delay fault, usually); nobody is
            # left to tell.
            logger.debug(
                "Client left before %s %s was answered", self.command, self._log_path
            )

    def _drop_connection(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # Already gone; the point was to send nothing anyway.

    def _read_body(self):
        try:
            length = max(int(self.headers.get("Content-Length") or 0), 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            return None
        return self.rfile.read(length) if length else b""

    def _request(self, raw_body):
        url = urlsplit(self.path)
        return web.Request(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            headers=self.headers,
            raw_body=raw_body,
            origin=self._origin(),
        )

    def _origin(self):
        host = (self.headers.get("Host") or "").strip()
        if not HOST_HEADER_PATTERN.fullmatch(host):
            address, port = self.server.server_address[:2]
            host = f"{address}:{port}"
        return f"http://{host}"


def _is_under(path, base):
    return path == base or path.startswith(base + "/")


def _relative(request, base):
    # Tolerate a trailing slash: /passes/ is the same endpoint as /passes.
    path = request.path[len(base):].rstrip("/")
    return replace(request, path=path or "/")


def _loggable(path):
    # Paths never need an email address, but a confused client may put one in
    # a path segment; keep it out of the log all the same.
    return EMAIL_IN_PATH.sub("<redacted>", path)


def _body_text(raw_body):
    """Return the body as text for the request log, so tests can read it."""
    if not raw_body:
        return None
    return raw_body[:10_000].decode("utf-8", "replace")


def _booking_id(raw_body):
    """Return the bookingId of a JSON body for the request log, if it has one."""
    body = web.parse_json(raw_body)
    value = body.get("bookingId") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None
