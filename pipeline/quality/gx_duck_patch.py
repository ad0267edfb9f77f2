"""Make Great Expectations' SQL execution engine work on DuckDB (GX 1.24, duckdb-engine 0.17).

Unpatched, GX closes the SQLAlchemy connection before ``fetchall()`` and duckdb-engine then
returns ``[]``: every expectation "fails" with ``list index out of range`` hidden in
``exception_info`` (upstream GX issues #10738, #11579). Keeping ONE persisted connection,
as GX already does for sqlite, fixes it. Relies on a private GX symbol: GX is pinned, and
``tests/test_quality.py`` proves a passing and a failing suite behave as such.
"""

from __future__ import annotations

import great_expectations.execution_engine.sqlalchemy_execution_engine as _see


class _DuckDBDialectName(str):
    value = "duckdb"                      # GX reads `.value` on these entries


if not any(getattr(d, "value", None) == "duckdb" for d in _see._PERSISTED_CONNECTION_DIALECTS):
    _see._PERSISTED_CONNECTION_DIALECTS = (*_see._PERSISTED_CONNECTION_DIALECTS, _DuckDBDialectName("duckdb"))
