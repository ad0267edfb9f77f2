"""Dagster resources: the DuckDB warehouse and the community config."""

from __future__ import annotations

from contextlib import contextmanager

import dagster as dg
import duckdb

from pipeline.config import CommunityConfig, load_config
from pipeline.warehouse import connect


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file. One writer at a time: every asset using it is in pool ``duckdb``."""

    path: str
    memory_limit: str = "2GB"
    threads: int = 2

    @contextmanager
    def get_connection(self):
        conn = _connect_with_retry(self.path, self.memory_limit, self.threads)
        try:
            yield conn
        finally:
            conn.close()


def _connect_with_retry(path: str, memory_limit: str, threads: int) -> duckdb.DuckDBPyConnection:
    # Another process (a second run, a notebook) may hold the write lock for a moment.
    import time

    delay = 0.2
    for attempt in range(12):
        try:
            return connect(path, memory_limit=memory_limit, threads=threads)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or attempt == 11:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5)
    raise RuntimeError("unreachable")


class CommunityConfigResource(dg.ConfigurableResource):
    """Path of community.yaml; ``load()`` returns the parsed CommunityConfig."""

    config_path: str

    def load(self) -> CommunityConfig:
        return load_config(self.config_path)
