"""community-report: community platform exports -> DuckDB -> the weekly and monthly report."""

from pipeline import _exit_quietly  # noqa: F401  (an exit hook: see the module)
