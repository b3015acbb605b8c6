"""Command line: python -m sandbox [--host H] [--port P] [--data PATH] [--key K]."""

import argparse
import logging
import os
import signal
import sys
import threading

from . import auth
from .server import make_server
from .store import Store
from .web import API_BASE

DEFAULT_PORT = "8765"
DEFAULT_DATA = "sandbox-data.sqlite3"


def main(argv=None):
    """Serve the sandbox until SIGINT or SIGTERM; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        keys = auth.normalise_keys(args.key) if args.key else auth.default_keys()
    except ValueError as error:
        parser.error(str(error))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr
    )

    store = Store(args.data)
    server = make_server(args.host, args.port, store, keys)
    host, port = server.server_address[:2]
    print(f"RemyPass sandbox listening on http://{host}:{port}{API_BASE}", flush=True)
    _serve_until_signalled(server)
    store.close()
    return 0


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="Run the RemyPass API sandbox."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument(
        "--port",
        type=_port,
        default=os.environ.get("REMYPASS_SANDBOX_PORT", DEFAULT_PORT),
        help="port to bind, 0 for any free one (env REMYPASS_SANDBOX_PORT)",
    )
    parser.add_argument(
        "--data",
        default=os.environ.get("REMYPASS_SANDBOX_DATA", DEFAULT_DATA),
        help="SQLite file holding the sandbox state (env REMYPASS_SANDBOX_DATA)",
    )
    parser.add_argument(
        "--key",
        action="append",
        metavar="KEY[=PERMS]",
        help="accept KEY with all permissions, or only the comma-separated "
        "PERMS; repeatable (default: rp_sandbox_key and rp_sandbox_readonly)",
    )
    return parser


def _port(text):
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}")
    return port


def _serve_until_signalled(server):
    stop_requested = threading.Event()

    def request_stop(signum, frame):
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # Waiting in short steps keeps the main thread responsive to signals.
    while not stop_requested.wait(0.2):
        pass
    server.shutdown()
    server.server_close()
    thread.join()


if __name__ == "__main__":
    sys.exit(main())
