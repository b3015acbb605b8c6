"""
Time the ticket admin's list on a big PostgreSQL table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/admin_list.py --rows 1000000

DATABASE_URL names the server to use; the bench makes its own database beside
it (venue_portal_bench unless --database says otherwise), fills it with
Booking and Ticket rows by INSERT ... SELECT generate_series, migrates,
vacuums and analyses it, then asks the admin for the first page, searches and
filters. For each it prints the median wall time of --repeat runs, the number
of SQL queries, and which scans PostgreSQL plans for the ticket and booking
queries ("Seq Scan" lines are the ones to worry about on a big table). The
data is kept for the next run unless --drop is given, which drops the
database at the end.
"""

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Seats per performance slot: 12 screens x 16 rows x 30 seats, so every row
# gets its own seat and the one-live-ticket-per-seat index stays satisfied.
SCREENS, ROWS, SEATS = 12, 16, 30
FILMS = ["Alien", "Brazil", "Casablanca", "Dune", "Eraserhead", "Fargo",
         "Gattaca", "Heat", "Inception", "Jaws", "Kes", "Labyrinth", "Memento",
         "Nosferatu", "Oldboy", "Psycho", "Ran", "Solaris", "Tampopo", "Vertigo"]
FIRST = ["Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella",
         "Rosie", "Sophia", "Grace", "Freya", "Willow", "Florence", "Emilia",
         "Noah", "Oliver", "George", "Leo", "Arthur", "Muhammad", "Oscar",
         "Harry", "Archie", "Jack", "Henry", "Charlie", "Freddie", "Theodore",
         "Thomas", "Zoë", "Siobhán", "José", "Chloé", "Björn", "Ana", "Aled",
         "Bea", "Cai", "Dev", "Eli", "Fay", "Gus", "Hal", "Ida", "Jo", "Kit",
         "Liv", "Max", "Ned"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson",
        "Davies", "Patel", "Robinson", "Wright", "Thompson", "Evans", "Walker",
        "White", "Roberts", "Green", "Hall", "Thomas", "Clarke", "Jackson",
        "Wood", "Harris", "Edwards", "Turner", "Martin", "Cooper", "Hill",
        "Ward", "Hughes", "Moore", "Clark", "King", "Harrison", "Lewis",
        "Baker", "Lee", "Allen", "Morris", "Khan"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="tickets to seed (default %(default)s)")
    parser.add_argument("--database", default="venue_portal_bench",
                        help="database to create and use (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="timed runs per case; the median is shown")
    parser.add_argument("--reseed", action="store_true",
                        help="seed again even if the row count already matches")
    parser.add_argument("--drop", action="store_true",
                        help="drop the bench database when done")
    return parser.parse_args()


def bench_url(server_url, database):
    parts = urlsplit(server_url)
    if not parts.scheme.startswith("postgres"):
        sys.exit("DATABASE_URL must point at PostgreSQL (postgres://...).")
    return urlunsplit(parts._replace(path="/" + database))


def admin_conninfo(server_url):
    """Return a libpq URL for the server's own database, to create ours."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(scheme="postgresql"))


def create_database(server_url, database):
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_conninfo(server_url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              [database]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(
                sql.Identifier(database)))
            print(f"Created database {database}.")


def drop_database(server_url, database):
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_conninfo(server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(database)))
    print(f"Dropped database {database}.")


def seed(rows):
    """Fill bookings and tickets with ``rows`` each, in two INSERT ... SELECTs."""
    from django.db import connection

    slots = math.ceil(rows / (SCREENS * ROWS * SEATS))
    # Performances spread over a year centred on today.
    step = 365 * 86400 // slots
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE tickets_ticketevent, tickets_ticket, "
                       "tickets_booking RESTART IDENTITY CASCADE")
        started = time.perf_counter()
        cursor.execute("""
            INSERT INTO tickets_booking (booking_id, film, start_time, screen,
                "row", seat, general_admission, customer_name, customer_email,
                send_email, entered_at)
            SELECT 'BK-' || lpad(n::text, 8, '0'),
                   (%(films)s::text[])[1 + n %% 20],
                   date_trunc('day', now()) - interval '182 days'
                       + interval '19 hours'
                       + (n / %(per_slot)s) * %(step)s * interval '1 second',
                   'Screen ' || (1 + n %% %(screens)s),
                   chr(65 + (n / %(screens)s) %% %(rows_)s),
                   (1 + (n / (%(screens)s * %(rows_)s)) %% %(seats)s)::text,
                   false,
                   (%(first)s::text[])[1 + n %% 50] || ' '
                       || (%(last)s::text[])[1 + (n / 50) %% 40],
                   lower((%(first)s::text[])[1 + n %% 50]) || '.'
                       || lower((%(last)s::text[])[1 + (n / 50) %% 40])
                       || n || '@example.com',
                   true,
                   now() - (%(total)s - n) * interval '10 seconds'
            FROM generate_series(0, %(total)s - 1) AS n
        """, {"films": FILMS, "first": FIRST, "last": LAST, "total": rows,
              "per_slot": SCREENS * ROWS * SEATS, "step": step,
              "screens": SCREENS, "rows_": ROWS, "seats": SEATS})
        print(f"Seeded {rows:,} bookings in {time.perf_counter() - started:.1f} s.")
        started = time.perf_counter()
        cursor.execute("""
            INSERT INTO tickets_ticket (booking_id, status, seat_key, remypass_id,
                serial_number, recipient_name, recipient_email, issued_at,
                apple_wallet_url, google_wallet_url, email_sent,
                remypass_message, last_error, attempts, sent_at,
                reconcile_candidates, void_reason, voided_at, created_at,
                updated_at)
            SELECT b.id, s.status,
                   lower(b.screen) || '|'
                       || to_char(b.start_time AT TIME ZONE 'UTC',
                                  'YYYY-MM-DD"T"HH24:MI"Z"')
                       || '|' || lower(b."row") || '|' || lower(b.seat),
                   CASE WHEN s.issued THEN 'rp' || lpad(to_hex(b.id), 22, '0') END,
                   CASE WHEN s.issued THEN 'SN' || lpad(b.id::text, 10, '0')
                        ELSE '' END,
                   b.customer_name, b.customer_email,
                   CASE WHEN s.issued THEN b.entered_at END,
                   CASE WHEN s.issued THEN 'https://wallet.invalid/a/' || b.id
                        ELSE '' END,
                   CASE WHEN s.issued THEN 'https://wallet.invalid/g/' || b.id
                        ELSE '' END,
                   s.issued, '', '', 1, b.entered_at, '[]'::jsonb, '',
                   CASE WHEN s.status = 'void' THEN b.entered_at END,
                   b.entered_at, b.entered_at
            FROM tickets_booking b,
                 LATERAL (SELECT CASE WHEN b.id % 50 = 0 THEN 'void'
                                      WHEN b.id % 997 = 0 THEN 'failed'
                                      WHEN b.id % 1999 = 0 THEN 'unknown'
                                      ELSE 'active' END AS status) st,
                 LATERAL (SELECT st.status AS status,
                                 st.status IN ('active', 'void') AS issued) s
        """)
        print(f"Seeded {rows:,} tickets in {time.perf_counter() - started:.1f} s.")


def tidy():
    """Vacuum and analyse both tables, as autovacuum would on a live server."""
    from django.db import connection

    # Where autovacuum is off, as on some test servers, the visibility map
    # stays empty, so index-only scans read the table anyway, and indexes
    # added since the last run have no statistics.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) tickets_booking, tickets_ticket")


def count_rows():
    from tickets.models import Ticket

    return Ticket.objects.count()


def cases(rows):
    middle = rows // 2
    return [
        ("first page, unfiltered", "ticket", {}),
        ("search: booking id", "ticket", {"q": f"BK-{middle:08d}"}),
        ("search: serial number", "ticket", {"q": f"SN{middle + 1:010d}"}),
        ("search: email prefix", "ticket", {"q": "olivia.smith12"}),
        ("search: name prefix", "ticket", {"q": "Olivia Sm"}),
        ("search: no match", "ticket", {"q": "nobody-here"}),
        ("search: film prefix", "ticket", {"q": "casa"}),
        ("filter: status = void", "ticket", {"status__exact": "void"}),
        ("filter: screen", "ticket", {"screen": "Screen 3"}),
        ("filter: starts next 7 days", "ticket", {"starts": "next7"}),
        ("filter: past 7 days", "ticket", {"starts": "past7"}),
        ("filter: void + screen 3", "ticket", {"status__exact": "void",
                                               "screen": "Screen 3"}),
        ("bookings: first page", "booking", {}),
        ("bookings: email prefix", "booking", {"q": "olivia.smith12"}),
        ("bookings: booking id", "booking", {"q": f"bk-{middle:08d}"}),
    ]


def plan_summary(sql):
    """Return the scan lines of a query's plan, as PostgreSQL would run it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) "
                       + sql)
        lines = [row[0] for row in cursor.fetchall()]
    # Every scan, including bitmap scans of indexes whose names do not say
    # which table they belong to.
    scans = [line.strip() for line in lines if "Scan" in line]
    total = next((line for line in lines if line.startswith("Execution Time")), "")
    return scans, total


def time_case(client, url, params, repeat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url, params)  # warm the caches once
    assert response.status_code == 200, response.status_code
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, params)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return statistics.median(times), captured.captured_queries


def run_cases(rows, repeat):
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    user, _created = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True})
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    urls = {"ticket": reverse("admin:tickets_ticket_changelist"),
            "booking": reverse("admin:tickets_booking_changelist")}
    results = []
    for label, model, params in cases(rows):
        median, queries = time_case(client, urls[model], params, repeat)
        print(f"\n== {label}  {params or ''}")
        print(f"   median {median * 1000:.0f} ms over {repeat} runs, "
              f"{len(queries)} queries")
        for query in queries:
            sql = query["sql"]
            if "tickets_" not in sql or not sql.lstrip().upper().startswith(
                    "SELECT"):
                continue
            scans, total = plan_summary(sql)
            print(f"   - {float(query['time']) * 1000:7.1f} ms  "
                  f"{' '.join(sql.split())[:110]}")
            for scan in scans:
                flag = "!!" if "Seq Scan" in scan else "  "
                print(f"       {flag} {scan}")
            if total:
                print(f"          {total}")
        # The database's share of the last run, as Django timed each query.
        sql_time = sum(float(query["time"]) for query in queries)
        results.append((label, median, len(queries), sql_time))
    print("\nSummary (median wall time, SQL queries, their time in the last run):")
    for label, median, count, sql_time in results:
        print(f"  {label:<30} {median * 1000:8.0f} ms  {count:3d} queries "
              f"{sql_time * 1000:6.0f} ms SQL")


def main():
    args = parse_args()
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. "
                 "postgres://postgres@127.0.0.1:5432/test")
    create_database(server_url, args.database)
    os.environ["DATABASE_URL"] = bench_url(server_url, args.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "venue_portal.settings")

    import django
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    # The indexes the admin relies on come with the migrations.
    call_command("migrate", verbosity=0)
    if args.reseed or count_rows() != args.rows:
        seed(args.rows)
    else:
        print(f"Reusing the {args.rows:,} tickets already seeded.")
    tidy()
    try:
        run_cases(args.rows, args.repeat)
    finally:
        connections.close_all()
        if args.drop:
            drop_database(server_url, args.database)


if __name__ == "__main__":
    main()
