"""Run a sandbox inside a test process and drive its control API over HTTP."""

import json
import threading
import urllib.error
import urllib.parse
import urllib.request

from . import auth
from .server import make_server
from .store import Store
from .web import API_BASE, CONTROL_BASE

LOOPBACK = "127.0.0.1"
CONTROL_TIMEOUT = 10
# How often the serving loop looks for a stop request; it bounds stop().
POLL_INTERVAL = 0.05

# Control calls go straight to the loopback sandbox, never through a proxy
# that the environment might configure.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class SandboxControlError(Exception):
    """The control API refused a call; the message is its error text."""


class SandboxServer:
    """A sandbox on a free loopback port, served from a daemon thread.

    It starts serving when created. Use it as a context manager, or call
    stop(), to shut it down. data_path None keeps all state in memory; keys
    takes what --key takes (see sandbox.auth.normalise_keys).
    """

    def __init__(self, data_path=None, keys=None):
        self._keys = auth.normalise_keys(keys)
        self._store = Store(data_path)
        self._server = make_server(LOOPBACK, 0, self._store, self._keys)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self.base_url = self.url + API_BASE
        self.api_key = auth.full_access_key(self._keys)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL},
            name=f"remypass-sandbox-{port}",
            daemon=True,
        )
        self._thread.start()
        self._stopped = False

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def stop(self):
        """Stop serving and close the data file; calling it twice is harmless."""
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._store.close()

    def inject(self, **fault):
        """Add a fault rule (see sandbox.faults) and return it with its id."""
        return self._control("POST", "/faults", fault)

    def faults(self):
        """Return the fault rules, with the uses each has left."""
        return self._control("GET", "/faults")["faults"]

    def clear_faults(self):
        """Remove every fault rule."""
        self._control("DELETE", "/faults")

    def requests_received(self, method=None, path=None):
        """Return the logged API requests, optionally by method and path prefix."""
        filters = {name: value for name, value in
                   (("method", method), ("path", path)) if value}
        query = "?" + urllib.parse.urlencode(filters) if filters else ""
        return self._control("GET", "/requests" + query)["requests"]

    def clear_requests(self):
        """Empty the request log."""
        self._control("DELETE", "/requests")

    def reset(self, data=False):
        """Clear faults and the request log; with data=True, every pass too."""
        self._control("POST", "/reset", {"data": data})

    def set_status(self, pass_id, status):
        """Change a pass's status behind the product's back; return the pass."""
        path = f"/passes/{urllib.parse.quote(pass_id, safe='')}/status"
        return self._control("POST", path, {"status": status})["pass"]

    def passes(self):
        """Return every pass, void ones included, oldest first."""
        return self._control("GET", "/passes")["passes"]

    def _control(self, method, path, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            self.url + CONTROL_BASE + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with _opener.open(request, timeout=CONTROL_TIMEOUT) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            raise SandboxControlError(_error_text(error)) from None


def _error_text(error):
    try:
        return json.load(error)["error"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {error.code}"
