"""
Issue tickets through the service module against a local sandbox and print
how fast it goes and how much memory it takes.

    .venv/bin/python bench/issue_throughput.py [--tickets 500] [--threads 4]

Uses a throwaway SQLite database unless DATABASE_URL is set (then it uses a
database named venue_portal_bench_issue on that server, created and dropped here).
The figures include the sandbox's own work, since it runs in this process.
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import resource
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def configure(workdir: Path):
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        base, _, _name = url.rpartition("/")
        os.environ["DATABASE_URL"] = f"{base}/venue_portal_bench_issue"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "venue_portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import django
    from django.conf import settings

    django.setup()
    return settings


def reset_database(settings, *, create: bool):
    """Drop the PostgreSQL bench database, and make it anew if ``create``."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    import psycopg

    connection.close()
    params = settings.DATABASES["default"]
    admin = psycopg.connect(host=params["HOST"], port=params["PORT"] or 5432,
                            user=params["USER"], password=params["PASSWORD"],
                            dbname="postgres", autocommit=True)
    admin.execute("DROP DATABASE IF EXISTS venue_portal_bench_issue")
    if create:
        admin.execute("CREATE DATABASE venue_portal_bench_issue")
    admin.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=500)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = configure(Path(tmp))
        reset_database(settings, create=True)
        from django.core.management import call_command
        from django.db import connection
        from django.utils import timezone

        from sandbox.testing import SandboxServer
        from tickets import services
        from tickets.models import Ticket

        call_command("migrate", verbosity=0)
        from django.contrib.auth.models import User

        user = User.objects.create_superuser("bench", password=None)
        start = timezone.now() + timedelta(days=7)

        with SandboxServer(data_path=Path(tmp) / "sandbox.sqlite3") as sandbox:
            settings.REMYPASS_BASE_URL = sandbox.base_url
            settings.REMYPASS_API_KEY = sandbox.api_key
            latencies = []
            lock = threading.Lock()
            counter = iter(range(args.tickets))

            def worker():
                from django.db import connection as thread_connection

                while True:
                    with lock:
                        n = next(counter, None)
                    if n is None:
                        break
                    began = time.perf_counter()
                    services.issue_ticket({
                        "booking_id": f"BENCH-{n:07d}", "film": "Benchmark",
                        "start_time": start, "screen": f"Screen {n % 8}",
                        "row": str(n // 400), "seat": str(n % 400),
                        "customer_name": "Bench Customer",
                        "customer_email": f"bench{n}@example.com",
                        "send_email": False}, issued_by=user)
                    with lock:
                        latencies.append(time.perf_counter() - began)
                thread_connection.close()

            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            began = time.perf_counter()
            threads = [threading.Thread(target=worker) for _ in range(args.threads)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - began
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        issued = Ticket.objects.filter(status=Ticket.Status.ACTIVE).count()
        latencies.sort()
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        print(f"database: {connection.vendor}, threads: {args.threads}")
        print(f"tickets issued: {issued} of {args.tickets} in {elapsed:.2f} s "
              f"({args.tickets / elapsed:.0f} tickets/s)")
        print(f"latency per ticket: median {statistics.median(latencies) * 1000:.1f} "
              f"ms, p95 {p95 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms")
        print(f"peak resident memory: {rss_after / 1024:.0f} MiB "
              f"({(rss_after - rss_before) / 1024:.1f} MiB more than before issuing)")
        reset_database(settings, create=False)


if __name__ == "__main__":
    main()
