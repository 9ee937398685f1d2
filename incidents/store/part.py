"""What every part of the store shares: the store it belongs to (its connection, backend and write
transactions). A part holds the store weakly, so a store nobody closed is still closed (and its
pooled connection given back) as soon as it is dropped."""

from __future__ import annotations

import weakref


class Part:
    def __init__(self, store):
        self.store = weakref.proxy(store)

    @property
    def con(self):
        return self.store.con

    @property
    def backend(self):
        return self.store.backend

    def write(self, fn):
        """fn(con) in one write transaction of the store (retried on transient conflicts)."""
        return self.store._write(fn)
