"""The store's `meta` table and its schema: which version it is at, checking it on opening, upgrading
it (incidents.store.migrations), and the grouping rule's fingerprint (`meta.group_rule`: when the rule
changes, e.g. an analyst edits incidents/data/event_compatibility.json, opening the store regroups
every incident once)."""

from __future__ import annotations

from incidents.groups import rule_fingerprint
from incidents.store.migrations import SCHEMA_VERSION, STEPS
from incidents.store.part import Part


class SchemaOutdated(ValueError):
    """The store is at an older schema version than this program; `incidentmap db upgrade` upgrades it."""


class Meta(Part):
    def read(self) -> dict:
        """Every meta key and value ({} for a new store)."""
        return self.backend.read_meta(self.con)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.read().get(key, default)

    def set(self, key: str, value: str) -> None:
        self.write(lambda con: self.put(con, key, value))

    @staticmethod
    def put(con, key: str, value: str) -> None:
        """Set a meta key inside a write transaction."""
        con.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value))

    def check(self, upgrade: bool = False) -> None:
        """On opening: create a new store, refuse (or with `upgrade`, upgrade) an older schema, refuse a
        newer one, and regroup every incident once when the grouping rule changed."""
        store = self.store
        meta = self.read()
        if not meta:
            if store.readonly:
                raise FileNotFoundError(f"{store.path}: no incident store here; run `incidentmap ingest articles/` "
                                        f"or `incidentmap db upgrade --db {store.path}`")
            self.upgrade()
            store.upgraded_from = "new"
            return
        version = int(meta.get("schema_version", 0))
        if version > SCHEMA_VERSION:
            raise ValueError(f"{store.path}: store schema {version} is newer than this program ({SCHEMA_VERSION}); "
                             "upgrade incidentmap")
        if version < SCHEMA_VERSION and upgrade and not store.readonly:
            self.upgrade()
            store.upgraded_from = version
            return
        if version < SCHEMA_VERSION:
            raise SchemaOutdated(f"{store.path}: store schema {version} is older than this program's "
                                 f"({SCHEMA_VERSION}); upgrade it with `incidentmap db upgrade --db {store.path}` "
                                 "(back the store up first)")
        if meta.get("group_rule") != rule_fingerprint() and not store.readonly:
            self.write(self._regroup_rule)  # the grouping rule changed: regroup every incident once

    def _regroup_rule(self, con) -> None:
        self.store.groups.regroup_all(con)
        self.put(con, "group_rule", rule_fingerprint())

    def upgrade(self) -> tuple[int | None, int]:
        """Create the store or bring its schema to SCHEMA_VERSION (one transaction), then regroup every
        incident. Returns (version before, or None for a new store; version now)."""
        store = self.store
        steps = STEPS[store.dialect]

        def migrate(con):
            meta = self.backend.read_meta(con)
            version = int(meta["schema_version"]) if "schema_version" in meta else None
            if version is not None and version > SCHEMA_VERSION:
                raise ValueError(f"{store.path}: store schema {version} is newer than this program ({SCHEMA_VERSION})")
            if version == SCHEMA_VERSION and meta.get("group_rule") == rule_fingerprint():
                return version
            todo = [min(steps)] if version is None else []
            todo += range((version or min(steps)) + 1, SCHEMA_VERSION + 1)
            missing = [v for v in todo if v not in steps]
            if missing:
                raise ValueError(f"{store.path}: no migration from schema {version} for {store.dialect}")
            for v in todo:
                steps[v](con)
            store.groups.regroup_all(con)
            self.put(con, "schema_version", str(SCHEMA_VERSION))
            self.put(con, "group_rule", rule_fingerprint())
            return version

        try:
            before = self.write(migrate)
        except Exception as exc:
            if "postgis" in str(exc).lower():
                raise ValueError(f"{store.path}: the PostGIS extension could not be created ({exc}); install "
                                 "PostGIS on the server and run `incidentmap db upgrade` as a user allowed to "
                                 "CREATE EXTENSION (the database owner or a superuser)") from exc
            raise
        return before, SCHEMA_VERSION
