"""The labctl data store: SQLite runs, steps, measured points and events; exports.

Schema and durability: docs/store.md. `Store` is the API; `PointWriter` batches points of
fast producers; `export` writes CSV and ZView `.z` files.
"""

from labctl.store.batching import PointWriter
from labctl.store.paths import db_path
from labctl.store.requests import Request
from labctl.store.store import Event, NewPoints, ResumeInfo, Run, Step, Store

__all__ = ["Event", "NewPoints", "PointWriter", "Request", "ResumeInfo", "Run", "Step", "Store",
           "db_path"]
