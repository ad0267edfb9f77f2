"""``community-report``: the command line of the pipeline.

    community-report init [DIR]                      scaffold a project folder
    community-report sample [--scale small|large] [--out DIR]
    community-report run --config PATH [--from DATE --to DATE] [--documents latest|all|none]
    community-report demo [--out DIR] [--documents latest|all|none]   sample + run, print the report paths
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import NoReturn

from pipeline.config import ConfigError, load_config

DEFAULT_DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {value!r}") from None


def cmd_init(args) -> int:
    from pipeline.scaffold import scaffold_project

    written = scaffold_project(Path(args.dir), force=args.force)
    print(f"Project scaffolded in {Path(args.dir).resolve()}:")
    for p in written:
        print(f"  {p}")
    print("Next: drop exports into the landing folders, then: "
          f"community-report run --config {Path(args.dir) / 'community.yaml'}")
    return 0


def _flavour(args) -> str | None:
    """--flavour as generate_sample takes it: None for the default (global) platforms."""
    return None if args.flavour == "global" else args.flavour


def cmd_sample(args) -> int:
    from pipeline.sample.generator import generate_sample

    t0 = time.monotonic()
    config_path = generate_sample(Path(args.out), scale=args.scale, seed=args.seed, language=args.language,
                                  flavour=_flavour(args))
    print(f"Sample community ({args.scale}, {args.flavour}) written in {time.monotonic() - t0:.1f} s: {config_path}")
    return 0


def cmd_run(args) -> int:
    from pipeline.runner import run_all, run_date

    as_of = getattr(args, "as_of", None)          # `demo` runs without one
    try:
        config = load_config(args.config)
        run_date(config, as_of)                     # a later date: an error before any work
    except (ConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    print(f"Running {config.name} ({config.config_path})")
    summary = run_all(config, args.date_from, args.date_to, documents=args.documents, as_of=as_of)
    print(f"Done in {time.monotonic() - t0:.1f} s. Data: {summary.first_date} .. {summary.last_date}")
    if summary.failed_exports:
        print(f"WARNING: {len(summary.failed_exports)} export(s) could not be read (other exports went on):")
        for err in summary.failed_exports:
            print(f"  - {err}")
    if summary.failed_checks:
        print(f"WARNING: {len(summary.failed_checks)} check(s) failed: {', '.join(summary.failed_checks)}")
    print(f"Warehouse: {config.warehouse}")
    print(f"Reports ({len(summary.reports)}):")
    for path in summary.reports:
        print(f"  {path}")
    if summary.documents:
        print(f"PDF + PPTX ({len(summary.documents)} periods; --documents all for every period):"
              if args.documents == "latest" else f"PDF + PPTX ({len(summary.documents)} periods):")
        for folder in summary.documents:
            print(f"  {folder / 'report.pdf'}, {folder / 'report.pptx'}")
    if args.strict and (summary.failed_exports or summary.failed_checks):
        return 1
    return 0


def cmd_demo(args) -> int:
    from pipeline.sample.generator import generate_sample

    out = Path(args.out)
    config_path = generate_sample(out, scale="small", seed=args.seed, language=args.language,
                                  flavour=_flavour(args))
    print(f"Sample community written to {out.resolve()}")
    return cmd_run(argparse.Namespace(config=str(config_path), date_from=None, date_to=None, strict=False,
                                      documents=args.documents))


def _documents_option(p: argparse.ArgumentParser) -> None:
    from pipeline.report.batch import DOCUMENT_CHOICES

    # --pdf: its name before report.pptx joined report.pdf in the documents asset
    p.add_argument("--documents", "--pdf", dest="documents", choices=DOCUMENT_CHOICES, default="latest",
                   help="which periods get report.pdf and report.pptx: latest (default: the newest week and "
                        "month of the run; over half of a report's time, rarely needed for past periods), "
                        "all, or none")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="community-report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="scaffold a project folder: community.yaml, landing folders, input templates")
    p.add_argument("dir", nargs="?", default=".")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("sample", help="write a deterministic sample community (native export formats)")
    p.add_argument("--scale", choices=["small", "large"], default="small")
    p.add_argument("--out", default="sample")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--language", choices=["zh", "en"], default="zh")
    p.add_argument("--flavour", choices=["global", "zh"], default="global",
                   help="global: Slack, Discord, Telegram; zh: also WeCom (statistics + group rosters), "
                        "WeChat and QQ groups")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("run", help="load, validate, model and render every period the data covers")
    p.add_argument("--config", required=True, help="path of community.yaml")
    p.add_argument("--from", dest="date_from", type=_date, help="first local date to model (default: first with data)")
    p.add_argument("--to", dest="date_to", type=_date, help="last local date to model (default: last with data)")
    p.add_argument("--strict", action="store_true", help="exit 1 when an export failed or a check failed")
    p.add_argument("--as-of", dest="as_of", type=_date,
                   help="run as on the morning of this local date (default: today in the community's time "
                        "zone): later dates are not modelled, and only weeks and months over by then are "
                        "reported; replays a past day's scheduled run")
    _documents_option(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", help="generate the small sample community and run everything on it")
    p.add_argument("--out", default=str(DEFAULT_DEMO_DIR))
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--language", choices=["zh", "en"], default="zh")
    p.add_argument("--flavour", choices=["global", "zh"], default="global",
                   help="zh: the sample community also on WeCom, WeChat and QQ groups")
    _documents_option(p)
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


def console(argv: list[str] | None = None) -> NoReturn:
    """The ``community-report`` command: :func:`main`, then the end of the process without the
    interpreter's teardown.

    After a run, that teardown (every module and object of Dagster, Great Expectations, DuckDB
    and pandas collected one by one) took ~0.8 s of a daily update's ~30 s, doing nothing anyone
    needs: the warehouse is closed, every Dagster event committed. So once :func:`main` returns,
    the exit hooks run as at any exit (logging's flush and close, the temporary folders of
    ``tempfile`` and Great Expectations removed, pipeline/_exit_quietly.py), the output is
    flushed, and the process ends with main's exit code (the report workers end the same way:
    pipeline/report/batch.py). An exception is not caught, and a thread of ours still running
    (none is, after a run) is waited for: both end the process as usual."""
    code = main(argv)
    if any(t is not threading.main_thread() and not t.daemon for t in threading.enumerate()):
        sys.exit(code)
    atexit._run_exitfuncs()               # noqa: SLF001 - the hooks atexit would run at exit
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


if __name__ == "__main__":
    console()
