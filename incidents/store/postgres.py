"""The PostgreSQL/PostGIS backend of the incident store: one database a team shares.

Connections come from a pool per database URL (psycopg_pool), in autocommit mode with explicit
transactions. Credentials come only from the URL, the environment (PGPASSWORD, PGSERVICE…) or
`~/.pgpass`, which libpq reads itself; messages name the database by its URL without the password.

Writes are serialized by a transaction-scoped advisory lock taken first in every write transaction,
so concurrent ingests on several machines regroup events as one writer would (the expensive part,
extraction, runs outside the transaction on each machine); readers never wait (MVCC). Deadlocks,
serialization failures and a lost race on a unique key are retried by the store.
Points live in the PostGIS column `geom` (generated from lat/lon, GiST-indexed): box and region
filters are `&&` and `ST_Covers` on it. The store's SQL is written with `?` placeholders; this
module turns them into psycopg's.
"""

from __future__ import annotations

import atexit
import os
import threading
from functools import lru_cache

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict

WRITE_LOCK = 0x1C1DE27  # the advisory lock every write transaction holds
_pools: dict[str, object] = {}  # URL -> pool, of this process (see _pool)
_pools_pid = os.getpid()
_pools_lock = threading.Lock()


def redacted(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    try:
        d = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://…"
    user = f"{d['user']}@" if d.get("user") else ""
    port = f":{d['port']}" if d.get("port") else ""
    return f"postgresql://{user}{d.get('host', '')}{port}/{d.get('dbname', '')}"


class Row(tuple):
    """A result row read by position or by column name (as sqlite3.Row); dict(row) works."""
    __slots__ = ()
    _index: dict = {}

    def __getitem__(self, key):
        return tuple.__getitem__(self, self._index[key] if isinstance(key, str) else key)

    def keys(self):
        return self._index.keys()


@lru_cache(maxsize=512)
def _row_class(names: tuple[bytes, ...]) -> type:
    return type("Row", (Row,), {"__slots__": (), "_index": {n.decode(): i for i, n in enumerate(names)}})


def _row_factory(cursor):
    res = cursor.pgresult  # the column names as libpq gives them (cursor.description builds objects)
    names = tuple(res.fname(i) for i in range(res.nfields)) if res is not None else ()
    cls = _row_class(names) if names and None not in names else Row  # COPY results have no names
    return lambda values: tuple.__new__(cls, values)


@lru_cache(maxsize=4096)
def _sql(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


def _params(params) -> tuple:
    # PostgreSQL text cannot hold NUL characters; a stray one in a scraped page is dropped
    return tuple(p.replace("\x00", "") if type(p) is str and "\x00" in p else p for p in params)


class Connection:
    """A pooled psycopg connection with the store's `?` placeholders and sqlite3-like rows."""

    def __init__(self, raw: psycopg.Connection):
        self.raw = raw

    def execute(self, sql: str, params=()):
        cur = self.raw.cursor()
        if params:
            cur.execute(_sql(sql), _params(params))
        else:
            cur.execute(sql, None)  # no parameters: sent as it is
        return cur

    def executemany(self, sql: str, seq):
        cur = self.raw.cursor()
        seq = [_params(p) for p in seq]
        if seq:
            cur.executemany(_sql(sql), seq)
        return cur


class PostgresBackend:
    dialect = "postgresql"
    retryable = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected, pg_errors.UniqueViolation)
    integrity_errors = (pg_errors.IntegrityError,)

    def __init__(self, url: str):
        self.url = url

    def describe(self) -> str:
        return redacted(self.url)

    def exists(self) -> bool:
        try:
            con = self.connect(readonly=True)
        except (ValueError, FileNotFoundError):
            return False
        try:
            return bool(self.read_meta(con))
        finally:
            self.release(con)

    def _pool(self):
        global _pools_lock, _pools_pid
        if _pools_pid != os.getpid():  # a forked child: the parent's pools (threads, sockets) are not its own
            _pools.clear()
            _pools_lock, _pools_pid = threading.Lock(), os.getpid()
        with _pools_lock:
            pool = _pools.get(self.url)
            if pool is None:
                from psycopg_pool import ConnectionPool

                try:  # fail fast, with a clear message, when the server or database is not there
                    psycopg.connect(self.url, connect_timeout=10).close()
                except psycopg.OperationalError as exc:
                    raise ValueError(f"{self.describe()}: cannot connect ({str(exc).strip().splitlines()[-1]})") \
                        from None

                def configure(conn):
                    conn.row_factory = _row_factory

                pool = ConnectionPool(self.url, min_size=0, max_size=int(os.environ.get("INCIDENTMAP_DB_POOL", 4)),
                                      kwargs={"autocommit": True}, configure=configure,
                                      check=ConnectionPool.check_connection, open=True, name="incidentmap")
                _pools[self.url] = pool
            return pool

    def connect(self, readonly: bool = False) -> Connection:
        return Connection(self._pool().getconn(timeout=60))

    def release(self, con: Connection) -> None:
        pool = _pools.get(self.url)
        if pool is not None:
            pool.putconn(con.raw)

    def read_meta(self, con) -> dict:
        if con.execute("SELECT to_regclass('meta')").fetchone()[0] is None:
            return {}  # a new database (asked first: an error would abort the transaction it runs in)
        return {k: v for k, v in con.execute("SELECT key, value FROM meta")}

    def begin(self, con) -> None:
        try:  # one round trip: the transaction and its lock
            con.execute(f"BEGIN; SELECT pg_advisory_xact_lock({int(WRITE_LOCK)})")
        except BaseException:  # interrupted while waiting for the lock: leave no transaction open
            self.rollback(con)
            raise

    def commit(self, con) -> None:
        con.execute("COMMIT")

    def rollback(self, con) -> None:
        if not con.raw.closed:
            con.execute("ROLLBACK")

    # ---- dialect -----------------------------------------------------------------------------
    @staticmethod
    def box_condition(prefix: str, lat_min, lat_max, lon_min, lon_max) -> tuple[str, list]:
        return f"{prefix}geom && ST_MakeEnvelope(?, ?, ?, ?, 4326)", [lon_min, lat_min, lon_max, lat_max]

    @staticmethod
    def region_condition(prefix: str, wkt: str) -> tuple[str, list]:
        return f"ST_Covers(ST_GeomFromText(?, 4326), {prefix}geom)", [wkt]

    @staticmethod
    def bulk_insert(con: Connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        with con.raw.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(_params(r))

    def change_token(self) -> str:
        """Changes whenever the store does: the last ingest time, the counts and the last review."""
        con = self.connect(readonly=True)
        try:
            row = con.execute("SELECT (SELECT max(ingested_at) FROM articles), (SELECT count(*) FROM incidents), "
                              "(SELECT max(id) FROM reviews), (SELECT count(*) FROM reviews WHERE undone_at IS NOT NULL)"
                              ).fetchone()
            return "/".join(str(v) for v in row)
        except pg_errors.UndefinedTable:
            return "empty"
        finally:
            self.release(con)


@atexit.register
def _close_pools() -> None:
    for pool in list(_pools.values()):
        pool.close()
    _pools.clear()
