"""Persistence of the sandbox (SQLite, or PostgreSQL for a shared server): every piece of
state, so a restart loses nothing.

SQLite is the embedded default; a ``postgresql://`` URL selects :mod:`.pg`. The SQL below is
written once for both (``?`` parameters, ``ON CONFLICT`` upserts). Writers are serialized,
also across processes (SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's advisory lock): the feed's
50-entry paging is a read-modify-write that must not interleave. A write transaction
commits before the handler answers, so an acknowledged request survives a killed or
restarted process (WAL journal). ``synchronous`` is SQLite's setting: "normal" (default)
is safe against a process crash, "full" also against an operating-system crash or power
loss, at one fsync per write (about 5 ms each on a typical VM disk). ``":memory:"`` gives a
private throw-away database for tests.

The directory (suppliers, companies, locations, customers, tokens) changes only on reset and
on provisioning a tenant, so it is mirrored in memory for cheap per-request lookups; both
bump the stored ``generation``, and :meth:`Store.refresh` (once per request) reloads the
mirror and the clock offset when another process changed them.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import ConformanceError
from . import seed, seeding
from .clock import Clock, atom_time
from .records import Directory as Directory
from .records import DsOrderRow, NewEvent
from .records import Identity as Identity
from .records import dumps as dumps

log = logging.getLogger("dropship_conformance.sandbox")

SCHEMA_VERSION = "1"
# 100 years: far beyond any expiry test, and far enough from datetime's year 9999 that an
# order created then still has a representable OrderExpiryDate (80 advances of 100 years
# once overflowed every timestamp, and the sandbox could not even start on that database).
MAX_CLOCK_OFFSET_SECONDS = 100 * 365 * 24 * 3600
SYNCHRONOUS = ("normal", "full")
PAGE_SIZE = (
    50  # 000 §Order Feed, 001, 002 §Step 2: "Each page of the feed will contain up to 50 events"
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS suppliers(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS companies(
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens(
    token TEXT PRIMARY KEY, suppliers TEXT NOT NULL, companies TEXT NOT NULL, description TEXT);
CREATE TABLE IF NOT EXISTS pages(
    id TEXT PRIMARY KEY, supplier_id INTEGER NOT NULL, seq INTEGER NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0, count INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL,
    UNIQUE(supplier_id, seq));
CREATE UNIQUE INDEX IF NOT EXISTS pages_current ON pages(supplier_id) WHERE archived = 0;
CREATE TABLE IF NOT EXISTS entries(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, supplier_id INTEGER NOT NULL, page_id TEXT NOT NULL,
    entry_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, published TEXT NOT NULL,
    updated TEXT NOT NULL, order_id TEXT NOT NULL, payload TEXT);
CREATE INDEX IF NOT EXISTS entries_page ON entries(page_id, seq);
CREATE INDEX IF NOT EXISTS entries_supplier ON entries(supplier_id, seq);
CREATE TABLE IF NOT EXISTS ds_orders(
    id TEXT PRIMARY KEY, supplier_id INTEGER NOT NULL, company_id INTEGER NOT NULL,
    status TEXT NOT NULL, data TEXT NOT NULL, item_state TEXT, source_order_id TEXT,
    created TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ds_orders_source ON ds_orders(source_order_id);
CREATE TABLE IF NOT EXISTS ds_updates(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL, kind TEXT NOT NULL,
    body TEXT NOT NULL, received TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ds_updates_order ON ds_updates(order_id, seq);
CREATE TABLE IF NOT EXISTS orders(
    id TEXT PRIMARY KEY, company_id INTEGER NOT NULL, state TEXT NOT NULL,
    entity_id INTEGER NOT NULL, printable_id TEXT NOT NULL UNIQUE, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS orders_company ON orders(company_id);
CREATE TABLE IF NOT EXISTS order_items(
    id TEXT PRIMARY KEY, order_id TEXT NOT NULL, position INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS order_items_order ON order_items(order_id, position);
CREATE TABLE IF NOT EXISTS tenants(n INTEGER PRIMARY KEY, name TEXT NOT NULL, spec TEXT NOT NULL);
"""

TABLES = [
    "meta",
    "suppliers",
    "companies",
    "tokens",
    "pages",
    "entries",
    "ds_orders",
    "ds_updates",
    "orders",
    "order_items",
]


@dataclass(frozen=True)
class PageRow:
    id: str
    supplier_id: int
    seq: int
    archived: bool
    count: int
    created: str


UPSERT_META = "INSERT INTO meta VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"


class StoreUnavailable(ConformanceError):
    """The database cannot be opened (server unreachable, driver missing); one clear line."""


def display_location(location: str) -> str:
    """``--db`` as it may be shown: a URL's password replaced by ``***``."""
    if not is_postgres_url(location):
        return location
    parts = urlsplit(location)
    if parts.password is None:
        return location
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def is_postgres_url(location: str) -> bool:
    """Whether ``--db`` names a PostgreSQL server rather than an SQLite file."""
    return location.startswith(("postgresql://", "postgres://"))


class SqliteBackend:
    """One connection guarded by one lock (the connection is shared between threads)."""

    def __init__(self, path: str, synchronous: str) -> None:
        self.shared = path != ":memory:"
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA busy_timeout = 10000")
        if self.shared:
            self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
        self._conn.executescript(SCHEMA)

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[Any]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute(begin)
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    def write(self) -> AbstractContextManager[Any]:
        return self._transaction("BEGIN IMMEDIATE")

    @contextmanager
    def statement(self) -> Iterator[sqlite3.Connection]:
        """The connection for one statement, in no transaction of its own."""
        with self._lock:
            yield self._conn

    def read(self) -> AbstractContextManager[Any]:
        # A deferred transaction: the several queries of one page see one snapshot even
        # while another sandbox process writes the same file.
        return self._transaction("BEGIN")

    def clear(self, conn: Any, tables: Sequence[str]) -> None:
        for table in tables:
            conn.execute(f"DELETE FROM {table}")
        conn.execute("DELETE FROM sqlite_sequence")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class Store:
    """The sandbox database. Use ``write()`` for a transaction, ``read()`` for queries.

    ``path`` is an SQLite file, ``":memory:"``, or a ``postgresql://`` URL.
    """

    def __init__(self, path: str = ":memory:", synchronous: str = "normal") -> None:
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS}, not {synchronous!r}")
        self.path = path
        # Entries a page holds before it is archived; Profile.archive_page_size may lower it.
        self.page_size = PAGE_SIZE
        if is_postgres_url(path):
            self._db: Any = _open_postgres(path)
        else:
            try:
                self._db = SqliteBackend(path, synchronous)
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"cannot open the database {path}: {exc}") from None
        self.directory = Directory()
        self.clock = Clock()
        self.generation = -1  # the stored generation the mirror was loaded at
        with self.write() as conn:
            seeded = conn.execute("SELECT value FROM meta WHERE key = 'seeded'").fetchone()
            if seeded is None:
                self._seed(conn)
        self.refresh()

    # ---- transactions -------------------------------------------------------------

    def write(self) -> AbstractContextManager[Any]:
        """A serialized write transaction; committed when the block ends without error."""
        transaction: AbstractContextManager[Any] = self._db.write()
        return transaction

    def read(self) -> AbstractContextManager[Any]:
        """Queries that see one snapshot of the database."""
        snapshot: AbstractContextManager[Any] = self._db.read()
        return snapshot

    @property
    def shared(self) -> bool:
        """Whether other processes may use the same database (not ``":memory:"``)."""
        return bool(self._db.shared)

    def close(self) -> None:
        self._db.close()

    # ---- seed, reset, directory --------------------------------------------------------

    def reset(self) -> None:
        """Back to the seeded state: every order, event and clock offset is dropped.

        Provisioned tenants stay (their identities are re-created, without their orders):
        they belong to the deployment, not to a test run.
        """
        with self.write() as conn:
            generation = self._stored_generation(conn)
            self._db.clear(conn, TABLES)
            self._seed(conn)
            self.set_meta(conn, "generation", str(generation + 1))
        self.refresh()

    def bump_generation(self, conn: Any) -> None:
        """Tell every process that the directory changed (inside the caller's transaction)."""
        self.set_meta(conn, "generation", str(self._stored_generation(conn) + 1))

    def _stored_generation(self, conn: Any) -> int:
        row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row["value"]) if row else 0

    def set_meta(self, conn: Any, key: str, value: str) -> None:
        conn.execute(UPSERT_META, (key, value))

    def insert_identities(
        self,
        conn: Any,
        suppliers: Sequence[dict[str, Any]],
        companies: Sequence[dict[str, Any]],
        tokens: Sequence[dict[str, Any]],
    ) -> None:
        """Directory rows in seed.py's shapes (the seed's and each tenant's)."""
        conn.executemany(
            "INSERT INTO suppliers VALUES(?, ?)", [(s["id"], s["name"]) for s in suppliers]
        )
        conn.executemany(
            "INSERT INTO companies VALUES(?, ?, ?)",
            [(c["id"], c["name"], dumps(c)) for c in companies],
        )
        conn.executemany(
            "INSERT INTO tokens VALUES(?, ?, ?, ?)",
            [
                (t["token"], dumps(t["suppliers"]), dumps(t["companies"]), t["description"])
                for t in tokens
            ],
        )

    def _seed(self, conn: Any) -> None:
        self.set_meta(conn, "schema_version", SCHEMA_VERSION)
        self.set_meta(conn, "clock_offset", "0")
        self.set_meta(conn, "process_seq", "0")
        self.insert_identities(conn, seed.SUPPLIERS, seed.COMPANIES, seed.TOKENS)
        for row in conn.execute("SELECT spec FROM tenants ORDER BY n").fetchall():
            spec = json.loads(row["spec"])
            self.insert_identities(conn, spec["suppliers"], spec["companies"], spec["tokens"])
        self.set_meta(conn, "seeded", "1")
        # The seed orders need the directory (addresses, customers) to build their payloads.
        self.directory = self._read_directory(conn)
        for order in seeding.seed_orders(self.directory, atom_time(Clock(0.0).now())):
            self.insert_new_ds_order(conn, order)

    def _read_directory(self, conn: Any) -> Directory:
        d = Directory()
        for row in conn.execute("SELECT id, name FROM suppliers"):
            d.suppliers[row["id"]] = row["name"]
        for row in conn.execute("SELECT id, data FROM companies"):
            company = json.loads(row["data"])
            d.companies[row["id"]] = company
            d.employees[row["id"]] = set(company.get("employees", []))
            for location in company.get("locations", []):
                d.location_company[location["id"]] = row["id"]
                d.location_address[location["id"]] = location["address"]
                d.location_name[location["id"]] = location["name"]
            for entry in company.get("customers", []):
                customer = entry["customer"]
                cid = customer["customer-id"]
                d.customers[cid] = customer
                d.customer_company[cid] = row["id"]
                d.customer_addresses[cid] = []
                for address in entry.get("addresses", []):
                    d.addresses[address["address-id"]] = address
                    d.customer_addresses[cid].append(address["address-id"])
        for row in conn.execute("SELECT * FROM tokens"):
            d.tokens[row["token"]] = Identity(
                token=row["token"],
                suppliers=frozenset(json.loads(row["suppliers"])),
                companies=frozenset(json.loads(row["companies"])),
                description=row["description"] or "",
            )
        return d

    def refresh(self) -> None:
        """Catch up with the other processes on this database: the clock offset always, the
        directory mirror when a reset or a new tenant bumped the stored generation."""
        # One statement outside a transaction on every request; the directory is re-read
        # (in a snapshot, with the generation it belongs to) only when it changed.
        with self._db.statement() as conn:
            meta = _meta(conn)
        if int(meta.get("generation", 0)) != self.generation:
            with self.read() as conn:
                meta = _meta(conn)
                self.directory = self._read_directory(conn)
                self.generation = int(meta.get("generation", 0))
        self.clock.offset_seconds = _clock_offset(meta.get("clock_offset"))

    # ---- clock --------------------------------------------------------------------------

    def advance_clock(self, hours: float) -> None:
        with self.write() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'clock_offset'").fetchone()
            stored = _clock_offset(row["value"] if row else None)
            offset = min(stored + hours * 3600.0, MAX_CLOCK_OFFSET_SECONDS)
            self.set_meta(conn, "clock_offset", repr(offset))
        self.clock.offset_seconds = offset

    def next_counter(self, conn: Any, key: str) -> int:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        value = (int(row["value"]) if row else 0) + 1
        self.set_meta(conn, key, str(value))
        return value

    # ---- feed ----------------------------------------------------------------------------

    def _current_page(self, conn: Any, supplier_id: int) -> PageRow | None:
        row = conn.execute(
            "SELECT * FROM pages WHERE supplier_id = ? AND archived = 0", (supplier_id,)
        ).fetchone()
        return _page(row) if row else None

    def current_page(self, supplier_id: int, now_text: str) -> PageRow:
        """The supplier's current page; created (empty) if the supplier has none yet."""
        with self.read() as conn:
            page = self._current_page(conn, supplier_id)
        if page is not None:
            return page
        with self.write() as conn:
            page = self._current_page(conn, supplier_id)
            if page is None:
                page = self._new_page(conn, supplier_id, 0, now_text)
            return page

    def _new_page(self, conn: Any, supplier_id: int, seq: int, now_text: str) -> PageRow:
        page_id = str(uuid.uuid4())
        conn.execute(
            "INSERT INTO pages(id, supplier_id, seq, archived, count, created)"
            " VALUES(?, ?, ?, 0, 0, ?)",
            (page_id, supplier_id, seq, now_text),
        )
        return PageRow(page_id, supplier_id, seq, False, 0, now_text)

    def append_events(
        self,
        conn: Any,
        supplier_id: int,
        events: Sequence[NewEvent],
        now_text: str,
    ) -> list[str]:
        """Append events (oldest first) inside the caller's transaction; return entry ids.

        002 §Step 2: "If a page has 50 events and a new event occurs, then those 50 events
        are pushed into an archived page. The current feed will contain the new event."
        The full page keeps its id and becomes an archive; a new current page gets a new id.
        """
        last = conn.execute(
            "SELECT updated FROM entries WHERE supplier_id = ? ORDER BY seq DESC LIMIT 1",
            (supplier_id,),
        ).fetchone()
        if last is not None and last["updated"] > now_text:
            # Never older than the newest entry, even if the host clock stepped back:
            # the feed stays newest first (001 "Newly created orders are prepended").
            now_text = last["updated"]
        page = self._current_page(conn, supplier_id)
        if page is None:
            page = self._new_page(conn, supplier_id, 0, now_text)
        page_id, seq, count = page.id, page.seq, page.count
        rows = []
        entry_ids = []
        for event in events:
            if count >= self.page_size:
                conn.execute(
                    "UPDATE pages SET archived = 1, count = ? WHERE id = ?", (count, page_id)
                )
                seq += 1
                page_id = self._new_page(conn, supplier_id, seq, now_text).id
                count = 0
            entry_id = str(uuid.uuid4())
            entry_ids.append(entry_id)
            rows.append(
                (
                    supplier_id,
                    page_id,
                    entry_id,
                    event.kind,
                    now_text,
                    now_text,
                    event.order_id,
                    event.payload,
                )
            )
            count += 1
        conn.executemany(
            "INSERT INTO entries(supplier_id, page_id, entry_id, kind, published, updated,"
            " order_id, payload) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute("UPDATE pages SET count = ? WHERE id = ?", (count, page_id))
        return entry_ids

    def page(self, supplier_id: int, page_id: str) -> PageRow | None:
        with self.read() as conn:
            row = conn.execute(
                "SELECT * FROM pages WHERE id = ? AND supplier_id = ?", (page_id, supplier_id)
            ).fetchone()
        return _page(row) if row else None

    def page_document_data(
        self, page: PageRow
    ) -> tuple[str | None, str | None, str | None, list[Any]]:
        """(prev page id, next page id, current page id, entries newest first) of a page."""
        with self.read() as conn:
            prev_row = conn.execute(
                "SELECT id FROM pages WHERE supplier_id = ? AND seq = ?",
                (page.supplier_id, page.seq - 1),
            ).fetchone()
            next_row = conn.execute(
                "SELECT id FROM pages WHERE supplier_id = ? AND seq = ?",
                (page.supplier_id, page.seq + 1),
            ).fetchone()
            cur_row = conn.execute(
                "SELECT id FROM pages WHERE supplier_id = ? AND archived = 0",
                (page.supplier_id,),
            ).fetchone()
            entries = conn.execute(
                "SELECT e.entry_id, e.kind, e.published, e.updated,"
                " COALESCE(e.payload, o.data) AS payload"
                " FROM entries e LEFT JOIN ds_orders o"
                " ON e.payload IS NULL AND o.id = e.order_id"
                " WHERE e.page_id = ? ORDER BY e.seq DESC",
                (page.id,),
            ).fetchall()
        return (
            prev_row["id"] if prev_row else None,
            next_row["id"] if next_row else None,
            cur_row["id"] if cur_row else None,
            entries,
        )

    def feed_stats(self, supplier_id: int) -> dict[str, Any]:
        with self.read() as conn:
            row = conn.execute(
                "SELECT COUNT(*) AS pages, COALESCE(SUM(count), 0) AS entries"
                " FROM pages WHERE supplier_id = ?",
                (supplier_id,),
            ).fetchone()
            cur = conn.execute(
                "SELECT id, count FROM pages WHERE supplier_id = ? AND archived = 0",
                (supplier_id,),
            ).fetchone()
        return {
            "pages": row["pages"],
            "entries": row["entries"],
            "current_page_id": cur["id"] if cur else None,
            "current_page_entries": cur["count"] if cur else 0,
        }

    # ---- dropship orders -----------------------------------------------------------------

    def insert_ds_orders(self, conn: Any, rows: Sequence[tuple[Any, ...]]) -> None:
        """Rows: (id, supplier, company, status, data, item_state, source_order_id, created)."""
        conn.executemany("INSERT INTO ds_orders VALUES(?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def insert_new_ds_order(self, conn: Any, row: DsOrderRow) -> None:
        """A new dropship order and its order-created event in the supplier's feed."""
        self.insert_ds_orders(conn, [row])
        self.append_events(conn, row.supplier_id, [NewEvent("created", row.id, None)], row.created)

    def get_ds_order(self, conn: Any, supplier_id: int, order_id: str) -> Any:
        return conn.execute(
            "SELECT * FROM ds_orders WHERE id = ? AND supplier_id = ?", (order_id, supplier_id)
        ).fetchone()

    def set_ds_order_state(
        self, conn: Any, order_id: str, status: str, item_state: list[Any]
    ) -> None:
        conn.execute(
            "UPDATE ds_orders SET status = ?, item_state = ? WHERE id = ?",
            (status, dumps(item_state), order_id),
        )

    def log_update(self, conn: Any, order_id: str, kind: str, body: Any, received: str) -> None:
        conn.execute(
            "INSERT INTO ds_updates(order_id, kind, body, received) VALUES(?, ?, ?, ?)",
            (order_id, kind, dumps(body), received),
        )

    def ds_updates(self, conn: Any, order_id: str) -> list[dict[str, Any]]:
        return [
            {"kind": r["kind"], "received": r["received"], "body": json.loads(r["body"])}
            for r in conn.execute(
                "SELECT * FROM ds_updates WHERE order_id = ? ORDER BY seq", (order_id,)
            )
        ]

    # ---- Orders API ------------------------------------------------------------------------

    def insert_order(self, conn: Any, company_id: int, order: dict[str, Any]) -> None:
        conn.execute(
            "INSERT INTO orders(id, company_id, state, entity_id, printable_id, data)"
            " VALUES(?, ?, ?, ?, ?, ?)",
            (
                order["Id"],
                company_id,
                order["State"],
                order["EntityId"],
                order["PrintableId"],
                dumps(order),
            ),
        )

    def save_order(self, conn: Any, order: dict[str, Any]) -> None:
        conn.execute(
            "UPDATE orders SET state = ?, entity_id = ?, data = ? WHERE id = ?",
            (order["State"], order["EntityId"], dumps(order), order["Id"]),
        )

    def get_order(self, conn: Any, company_id: int, order_id: str) -> dict[str, Any] | None:
        row = conn.execute(
            "SELECT data FROM orders WHERE id = ? AND company_id = ?", (order_id, company_id)
        ).fetchone()
        return json.loads(row["data"]) if row else None

    def get_order_any_company(self, conn: Any, order_id: str) -> dict[str, Any] | None:
        row = conn.execute("SELECT data FROM orders WHERE id = ?", (order_id,)).fetchone()
        return json.loads(row["data"]) if row else None

    def list_orders(
        self,
        conn: Any,
        company_id: int,
        state: str | None = None,
        entity_id: int | None = None,
        printable_id: str | None = None,
    ) -> list[dict[str, Any]]:
        sql = "SELECT data FROM orders WHERE company_id = ?"
        args: list[Any] = [company_id]
        if state is not None:
            sql += " AND state = ?"
            args.append(state)
        if entity_id is not None:
            sql += " AND entity_id = ?"
            args.append(entity_id)
        if printable_id is not None:
            sql += " AND printable_id = ?"
            args.append(printable_id)
        sql += " ORDER BY rowid"
        return [json.loads(r["data"]) for r in conn.execute(sql, args)]

    def printable_id_taken(self, conn: Any, printable_id: str) -> bool:
        row = conn.execute(
            "SELECT 1 FROM orders WHERE printable_id = ?", (printable_id,)
        ).fetchone()
        return row is not None

    def list_items(self, conn: Any, order_id: str) -> list[dict[str, Any]]:
        return [
            json.loads(r["data"])
            for r in conn.execute(
                "SELECT data FROM order_items WHERE order_id = ? ORDER BY position", (order_id,)
            )
        ]

    def items_of_company(self, conn: Any, company_id: int) -> dict[str, list[dict[str, Any]]]:
        """Items of every order of a company, by order id (for OrderFull lists)."""
        out: dict[str, list[dict[str, Any]]] = {}
        rows = conn.execute(
            "SELECT i.order_id, i.data FROM order_items i JOIN orders o ON o.id = i.order_id"
            " WHERE o.company_id = ? ORDER BY i.order_id, i.position",
            (company_id,),
        )
        for row in rows:
            out.setdefault(row["order_id"], []).append(json.loads(row["data"]))
        return out

    def add_item(self, conn: Any, order_id: str, item: dict[str, Any]) -> None:
        row = conn.execute(
            "SELECT COALESCE(MAX(position), -1) + 1 AS pos FROM order_items WHERE order_id = ?",
            (order_id,),
        ).fetchone()
        conn.execute(
            "INSERT INTO order_items VALUES(?, ?, ?, ?)",
            (item["Id"], order_id, row["pos"], dumps(item)),
        )

    def replace_items(self, conn: Any, order_id: str, items: Sequence[dict[str, Any]]) -> None:
        conn.execute("DELETE FROM order_items WHERE order_id = ?", (order_id,))
        conn.executemany(
            "INSERT INTO order_items VALUES(?, ?, ?, ?)",
            [(item["Id"], order_id, pos, dumps(item)) for pos, item in enumerate(items)],
        )

    def get_item(self, conn: Any, item_id: str) -> dict[str, Any] | None:
        row = conn.execute("SELECT data FROM order_items WHERE id = ?", (item_id,)).fetchone()
        return json.loads(row["data"]) if row else None

    def save_item(self, conn: Any, item: dict[str, Any]) -> None:
        conn.execute("UPDATE order_items SET data = ? WHERE id = ?", (dumps(item), item["Id"]))


def _meta(conn: Any) -> dict[str, str]:
    """What :meth:`Store.refresh` follows: the generation and the clock offset."""
    rows = conn.execute("SELECT key, value FROM meta WHERE key IN ('generation', 'clock_offset')")
    return {row["key"]: row["value"] for row in rows}


def _open_postgres(url: str) -> Any:
    try:
        from .pg import PgBackend  # psycopg is the optional extra "postgres"
    except ImportError:
        raise StoreUnavailable(
            "a postgresql:// database needs psycopg: pip install 'dropship-conformance[postgres]'"
        ) from None
    try:
        return PgBackend(url)
    except Exception as exc:  # psycopg's and the pool's errors: all mean "cannot open"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StoreUnavailable(
            f"cannot open the database {display_location(url)}: {reason}"
        ) from None


def _clock_offset(stored: str | None) -> float:
    """The stored clock offset, clamped: a database written by an older sandbox (or by hand)
    must not keep the sandbox from starting."""
    try:
        offset = float(stored or 0)
    except ValueError:
        log.warning("ignoring the unreadable stored clock offset %r", stored[:40] if stored else "")
        return 0.0
    if not 0 <= offset <= MAX_CLOCK_OFFSET_SECONDS:  # also false for NaN
        log.warning("stored clock offset %r s is out of bounds, clamped", offset)
        return float(MAX_CLOCK_OFFSET_SECONDS) if offset > 0 else 0.0
    return offset


def _page(row: sqlite3.Row) -> PageRow:
    return PageRow(
        id=row["id"],
        supplier_id=row["supplier_id"],
        seq=row["seq"],
        archived=bool(row["archived"]),
        count=row["count"],
        created=row["created"],
    )
