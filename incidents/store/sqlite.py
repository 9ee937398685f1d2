"""The SQLite backend of the incident store: one file on the analyst's machine.

WAL journal, so the dashboard reads while an ingest writes; one writer at a time (BEGIN IMMEDIATE,
waiting up to 30 s for another). Region filters test points against the polygon with shapely,
through an SQL function registered on each connection.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache
from pathlib import Path


class SQLiteBackend:
    dialect = "sqlite"
    retryable: tuple[type[BaseException], ...] = ()  # the busy timeout already waits for the writer
    integrity_errors = (sqlite3.IntegrityError,)

    def __init__(self, location: str | Path):
        self.path = Path(location)

    def describe(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    def connect(self, readonly: bool = False) -> sqlite3.Connection:
        if readonly:
            if not self.path.exists():
                raise FileNotFoundError(f"{self.path}: no incident store here; run `incidentmap ingest articles/`")
            con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            try:
                con.execute("PRAGMA journal_mode=WAL")
            except sqlite3.DatabaseError as exc:  # a picture, a text file…: say so, as reading does
                con.close()
                if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                    raise
                raise ValueError(f"{self.path}: not an incident store ({exc})") from exc
            con.execute("PRAGMA synchronous=NORMAL")  # WAL: safe from corruption; fsync at checkpoints
            con.execute("PRAGMA foreign_keys=ON")
        con.row_factory = sqlite3.Row
        con.create_function("in_region", 3, _in_region, deterministic=True)
        return con

    def release(self, con) -> None:
        con.close()

    def read_meta(self, con) -> dict:
        try:
            return {k: v for k, v in con.execute("SELECT key, value FROM meta")}
        except sqlite3.OperationalError:
            return {}  # a new file
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"{self.path}: not an incident store ({exc})") from exc

    def begin(self, con) -> None:
        con.execute("BEGIN IMMEDIATE")

    def commit(self, con) -> None:
        con.execute("COMMIT")

    def rollback(self, con) -> None:
        con.execute("ROLLBACK")

    # ---- dialect -----------------------------------------------------------------------------
    @staticmethod
    def box_condition(prefix: str, lat_min, lat_max, lon_min, lon_max) -> tuple[str, list]:
        return (f"({prefix}lat BETWEEN ? AND ? AND {prefix}lon BETWEEN ? AND ?)",
                [lat_min, lat_max, lon_min, lon_max])

    @staticmethod
    def region_condition(prefix: str, wkt: str) -> tuple[str, list]:
        """Points inside (or on the edge of) a WKT polygon; the polygon's box first, then the shape."""
        west, south, east, north = _shape(wkt).bounds
        return (f"({prefix}lat BETWEEN ? AND ? AND {prefix}lon BETWEEN ? AND ? AND "
                f"in_region({prefix}lon, {prefix}lat, ?))", [south, north, west, east, wkt])

    @staticmethod
    def bulk_insert(con, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        con.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                        rows)

    def change_token(self) -> str:
        """Changes whenever the store does (the file's and its WAL's modification times)."""
        wal = Path(str(self.path) + "-wal")
        return str(max(self.path.stat().st_mtime if self.path.exists() else 0,
                       wal.stat().st_mtime if wal.exists() else 0))


@lru_cache(maxsize=16)
def _shape(wkt: str):
    from shapely import prepare, wkt as shapely_wkt

    try:
        geom = shapely_wkt.loads(wkt)
    except Exception as exc:  # shapely raises its own GEOSException
        raise ValueError(f"region {wkt[:60]!r}: not a WKT polygon ({exc})") from exc
    prepare(geom)
    return geom


def _in_region(lon, lat, wkt) -> int:
    if lon is None or lat is None:
        return 0
    from shapely import Point

    return int(_shape(wkt).covers(Point(lon, lat)))
