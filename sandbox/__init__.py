"""A stand-in for the RemyPass public API, for development and tests.

The real RemyPass API cannot be reached from development machines or CI, so
the sandbox answers the documented endpoints (event tickets, passes, pass
templates) from a local SQLite file, with the same envelope, status codes and
API-key permissions. A control API under /_sandbox/ injects faults (timeouts,
dropped connections, 5xx pages, broken JSON, rate limits), shows what the
product sent and changes passes behind its back.

Run it with ``python -m sandbox``; in tests use ``sandbox.testing.SandboxServer``.
"""

from .testing import SandboxServer

__all__ = ["SandboxServer"]
