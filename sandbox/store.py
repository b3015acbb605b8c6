"""SQLite persistence for the sandbox, so its state survives a restart.

One connection is shared by all request threads and every use of it holds
one lock. That makes each operation atomic, which is what keeps a booking id
unique when many requests for it arrive at once.
"""

import json
import secrets
import sqlite3
import string
import threading

from . import clock

SERIAL_ALPHABET = string.ascii_uppercase + string.digits

SCHEMA = """
CREATE TABLE IF NOT EXISTS members (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pass_templates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    type TEXT NOT NULL,
    approved INTEGER NOT NULL,
    film TEXT NOT NULL,
    start_time TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (film, start_time)
);
CREATE TABLE IF NOT EXISTS pass_instances (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    serial_number TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    member_id TEXT NOT NULL REFERENCES members (id),
    template_id TEXT NOT NULL REFERENCES pass_templates (id),
    booking_id TEXT NOT NULL UNIQUE,
    recipient_name TEXT NOT NULL,
    recipient_email TEXT NOT NULL,
    event_name TEXT NOT NULL,
    event_time TEXT NOT NULL,
    seat_section TEXT NOT NULL,
    seat_row TEXT NOT NULL,
    seat_number TEXT NOT NULL,
    expiry_date TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    wallet_origin TEXT NOT NULL,
    email_sent INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS request_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    booking_id TEXT,
    body TEXT,
    status INTEGER,
    fault TEXT,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS faults (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    method TEXT,
    path TEXT NOT NULL,
    times_left INTEGER,
    hits INTEGER NOT NULL DEFAULT 0,
    params TEXT NOT NULL
);
"""

MEMBER_QUERY = """
SELECT m.*, (SELECT COUNT(*) FROM pass_instances p WHERE p.member_id = m.id)
    AS pass_count
FROM members m
"""


class DuplicateBooking(Exception):
    """A pass already exists for this booking id."""


class PassNotFound(Exception):
    """No pass has this id."""


class PassAlreadyVoid(Exception):
    """The pass was revoked before; a void pass stays void."""


def new_object_id():
    """Return a fresh id shaped like the API's 24-hex ObjectIds."""
    return secrets.token_hex(12)


def new_serial_number():
    """Return a fresh pass serial number such as RP-7K2Q9XW4LM."""
    return "RP-" + "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(10))


class Store:
    """All sandbox state: members, templates, passes, faults and request log."""

    def __init__(self, path=None):
        # None keeps everything in memory, which is what most tests want.
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path or ":memory:", check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.executescript(SCHEMA)

    def close(self):
        """Close the database; later calls raise sqlite3.ProgrammingError."""
        with self._lock:
            self._db.close()

    # Tickets and passes.

    def issue_ticket(self, ticket, *, wallet_origin):
        """Create the pass for a validated ticket; return (pass, member) rows."""
        now = clock.now_iso()
        pass_id = new_object_id()
        with self._lock, self._db:
            if self._one("SELECT 1 FROM pass_instances WHERE booking_id = ?",
                         ticket.booking_id):
                raise DuplicateBooking(ticket.booking_id)
            member_id = self._visitor_for(ticket, now)
            template_id = self._template_for(ticket, now)
            self._insert_pass(pass_id, ticket, member_id, template_id, now,
                              wallet_origin)
        return self.get_pass(pass_id), self.get_member(member_id)

    def get_pass(self, pass_id):
        """Return the pass row with this id, or None."""
        with self._lock:
            return self._one("SELECT * FROM pass_instances WHERE id = ?", pass_id)

    def get_pass_by_serial(self, serial_number):
        """Return the pass row with this serial number, or None."""
        with self._lock:
            return self._one(
                "SELECT * FROM pass_instances WHERE serial_number = ?", serial_number
            )

    def list_passes(self, *, status, member_id, include_void, limit, offset):
        """Return (one page of pass rows, total matching) in issue order."""
        clauses, params = [], []
        if status:
            clauses.append("status = ?")
            params.append(status)
        if not include_void:
            clauses.append("status != 'void'")
        if member_id:
            clauses.append("member_id = ?")
            params.append(member_id)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        with self._lock:
            total = self._one(f"SELECT COUNT(*) AS n FROM pass_instances{where}",
                              *params)["n"]
            rows = self._all(
                f"SELECT * FROM pass_instances{where} ORDER BY issued_at, seq"
                " LIMIT ? OFFSET ?",
                *params, limit, offset,
            )
        return rows, total

    def all_passes(self):
        """Return every pass row, void ones included, in issue order."""
        with self._lock:
            return self._all("SELECT * FROM pass_instances ORDER BY issued_at, seq")

    def revoke_pass(self, pass_id):
        """Make the pass void, or raise PassNotFound or PassAlreadyVoid."""
        with self._lock, self._db:
            row = self.get_pass(pass_id)
            if row is None:
                raise PassNotFound(pass_id)
            if row["status"] == "void":
                raise PassAlreadyVoid(pass_id)
            self._update_status(pass_id, "void")
        return self.get_pass(pass_id)

    def set_pass_status(self, pass_id, status):
        """Set any status, as RemyPass's own dashboard could; raise if missing."""
        with self._lock, self._db:
            if self.get_pass(pass_id) is None:
                raise PassNotFound(pass_id)
            self._update_status(pass_id, status)
        return self.get_pass(pass_id)

    # Members and templates.

    def get_member(self, member_id):
        """Return the member row (with its pass count), or None."""
        with self._lock:
            return self._one(MEMBER_QUERY + " WHERE m.id = ?", member_id)

    def get_template(self, template_id):
        """Return the pass template row, or None."""
        with self._lock:
            return self._one("SELECT * FROM pass_templates WHERE id = ?", template_id)

    def list_templates(self, *, search, limit, offset):
        """Return (one page of template rows, total matching), oldest first."""
        where, params = "", []
        if search:
            pattern = "%" + _escape_like(search) + "%"
            where = (" WHERE name LIKE ? ESCAPE '\\'"
                     " OR description LIKE ? ESCAPE '\\'")
            params = [pattern, pattern]
        with self._lock:
            total = self._one(f"SELECT COUNT(*) AS n FROM pass_templates{where}",
                              *params)["n"]
            rows = self._all(
                f"SELECT * FROM pass_templates{where} ORDER BY seq LIMIT ? OFFSET ?",
                *params, limit, offset,
            )
        return rows, total

    # Request log.

    def log_request(self, method, path, booking_id, body=None):
        """Record a received API request; return its log entry number."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO request_log"
                " (method, path, booking_id, body, received_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (method, path, booking_id, body, clock.now_iso()),
            )
        return cursor.lastrowid

    def finish_request(self, entry, status, fault):
        """Record how a logged request was answered (status None: dropped)."""
        with self._lock, self._db:
            self._db.execute(
                "UPDATE request_log SET status = ?, fault = ? WHERE seq = ?",
                (status, fault, entry),
            )

    def logged_requests(self):
        """Return every request log row in the order received."""
        with self._lock:
            return self._all("SELECT * FROM request_log ORDER BY seq")

    def clear_requests(self):
        """Empty the request log."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM request_log")

    # Fault rules.

    def add_fault(self, *, kind, method, path, times, params):
        """Store a fault rule and return it."""
        fault_id = secrets.token_hex(6)
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO faults (id, kind, method, path, times_left, params)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (fault_id, kind, method, path, times, json.dumps(params)),
            )
            return self._one("SELECT * FROM faults WHERE id = ?", fault_id)

    def take_fault(self, method, path):
        """Return the first rule that matches and has uses left, using one up."""
        with self._lock, self._db:
            for rule in self._all("SELECT * FROM faults ORDER BY seq"):
                if _fault_matches(rule, method, path):
                    self._db.execute(
                        "UPDATE faults SET hits = hits + 1,"
                        " times_left = times_left - 1 WHERE seq = ?",
                        (rule["seq"],),
                    )
                    return rule
        return None

    def faults(self):
        """Return every fault rule, used-up ones included, oldest first."""
        with self._lock:
            return self._all("SELECT * FROM faults ORDER BY seq")

    def clear_faults(self):
        """Remove every fault rule."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM faults")

    def reset(self, *, data=False):
        """Clear faults and the request log; with data, all members and passes."""
        tables = ["faults", "request_log"]
        if data:
            tables += ["pass_instances", "pass_templates", "members"]
        with self._lock, self._db:
            for table in tables:
                self._db.execute(f"DELETE FROM {table}")

    # Helpers; callers hold the lock.

    def _one(self, sql, *params):
        row = self._db.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    def _all(self, sql, *params):
        return [dict(row) for row in self._db.execute(sql, params)]

    def _visitor_for(self, ticket, now):
        # Booking customers are not members; the API keeps one Visitor per
        # email address and hangs every ticket for that address off it.
        email_key = ticket.customer_email.lower()
        row = self._one("SELECT id FROM members WHERE email_key = ?", email_key)
        if row:
            return row["id"]
        member_id = new_object_id()
        self._db.execute(
            "INSERT INTO members (id, name, email, email_key, type, status,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, 'Visitor', 'active', ?, ?)",
            (member_id, ticket.customer_name, ticket.customer_email, email_key,
             now, now),
        )
        return member_id

    def _template_for(self, ticket, now):
        # One template per showing: the same film at the same time shares it.
        start = clock.to_iso(ticket.start_time)
        row = self._one(
            "SELECT id FROM pass_templates WHERE film = ? AND start_time = ?",
            ticket.film, start,
        )
        if row:
            return row["id"]
        template_id = new_object_id()
        self._db.execute(
            "INSERT INTO pass_templates (id, name, description, type, approved,"
            " film, start_time, created_at, updated_at)"
            " VALUES (?, ?, ?, 'event_ticket', 1, ?, ?, ?, ?)",
            (template_id, ticket.film, f"{ticket.film}, starting {start}",
             ticket.film, start, now, now),
        )
        return template_id

    def _insert_pass(self, pass_id, ticket, member_id, template_id, now, origin):
        try:
            self._db.execute(
                "INSERT INTO pass_instances (id, serial_number, status, member_id,"
                " template_id, booking_id, recipient_name, recipient_email,"
                " event_name, event_time, seat_section, seat_row, seat_number,"
                " expiry_date, issued_at, updated_at, wallet_origin, email_sent)"
                " VALUES (?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                " ?, ?)",
                (pass_id, new_serial_number(), member_id, template_id,
                 ticket.booking_id, ticket.customer_name, ticket.customer_email,
                 ticket.film, clock.to_iso(ticket.start_time), ticket.screen,
                 ticket.row, ticket.seat, clock.to_iso(ticket.expiry_date), now,
                 now, origin, int(ticket.send_email)),
            )
        except sqlite3.IntegrityError as error:
            # Another process sharing the data file won the race for this id.
            raise DuplicateBooking(ticket.booking_id) from error

    def _update_status(self, pass_id, status):
        self._db.execute(
            "UPDATE pass_instances SET status = ?, updated_at = ? WHERE id = ?",
            (status, clock.now_iso(), pass_id),
        )


def _fault_matches(rule, method, path):
    if rule["times_left"] is not None and rule["times_left"] <= 0:
        return False
    if rule["method"] and rule["method"] != method:
        return False
    return path.startswith(rule["path"])


def _escape_like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
