"""Keep DuckDB's Python binding quiet at interpreter exit.

duckdb 2.0 is built with nanobind, which prints "nanobind: leaked N instances / types /
functions" (some 60 lines) at exit when instances of its types are still alive when the binding
is torn down. After Great Expectations has validated a table (every run's asset checks), the 27
type constants of ``duckdb.value.constant`` outlive the binding that way: nothing is leaked (the
process is ending), but every ``community-report run`` ended with that wall of text. An exit
hook drops those module attributes first; by then all work is done and nothing uses them.
"""

from __future__ import annotations

import atexit
import sys


def _drop_duckdb_type_constants() -> None:
    module = sys.modules.get("duckdb.value.constant")
    if module is None:
        return
    for name, value in list(vars(module).items()):
        if type(value).__name__ == "DuckDBPyType":
            delattr(module, name)


atexit.register(_drop_duckdb_type_constants)
