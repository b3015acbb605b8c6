"""
Indexes for the admin's case-insensitive search of bookings, on PostgreSQL.

Django writes ``istartswith`` there as ``UPPER("col"::text) LIKE UPPER(%s)``
and ``iexact`` as ``UPPER("col"::text) = UPPER(%s)``. An index on that same
expression with ``text_pattern_ops`` answers both, whatever the database's
collation. SQLite needs none of this, so nothing is made there. The booking
id needs none either: its ``iexact`` is answered by the index of the any-case
unique constraint (migration 0006).
"""

from django.db import migrations

# Index name -> column, for each booking column searched case-insensitively.
INDEXES = {
    "booking_upper_customer_email": "customer_email",
    "booking_upper_customer_name": "customer_name",
    "booking_upper_film": "film",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    table = quote(apps.get_model("tickets", "Booking")._meta.db_table)
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {table} "
            f"(UPPER({quote(column)}::text) text_pattern_ops)")
    # The planner knows nothing of the new expressions until the table is
    # analysed, and autovacuum may not get to a big table for a long time.
    schema_editor.execute(f"ANALYZE {table}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(
            f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0003_staff_roles"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
