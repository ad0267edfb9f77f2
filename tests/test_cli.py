"""The command line: init scaffolds a usable project, bad config is named, and a damaged export
stops only itself while the other sources still make the report."""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from pipeline.cli import main
from pipeline.config import ConfigError, load_config
from pipeline.scaffold import BUSINESS_INPUTS
from tests.test_end_to_end import write_project


def test_init_writes_a_loadable_commented_project(tmp_path):
    assert main(["init", str(tmp_path / "proj")]) == 0
    config = load_config(tmp_path / "proj" / "community.yaml")
    assert [s.name for s in config.sources] == ["slack_main", "discord", "tg_group"]
    assert config.timezone == "Asia/Shanghai" and config.language == "zh"
    text = (tmp_path / "proj" / "community.yaml").read_text("utf-8")
    assert text.count("#") > 10                      # commented
    for name in BUSINESS_INPUTS:
        assert (tmp_path / "proj" / "data" / "inputs" / "templates" / f"{name}.csv").exists()
    readme = (tmp_path / "proj" / "data" / "inputs" / "README.md").read_text("utf-8")
    assert "| registrations |" in readme
    # a second init does not overwrite the user's edits
    (tmp_path / "proj" / "community.yaml").write_text(text.replace("我的社区", "Edited"), encoding="utf-8")
    main(["init", str(tmp_path / "proj")])
    assert "Edited" in (tmp_path / "proj" / "community.yaml").read_text("utf-8")


def test_minimal_config_gets_defaults(tmp_path):
    path = tmp_path / "community.yaml"
    path.write_text("community: {name: X}\nsources: []\n", encoding="utf-8")
    config = load_config(path)
    assert config.timezone == "Asia/Shanghai"
    assert config.warehouse == (tmp_path / "data" / "warehouse.duckdb").resolve()
    assert config.exporter_timezone == "Asia/Shanghai"


def test_a_temp_directory_under_a_missing_folder_takes_spills(tmp_path):
    """settings.duckdb_temp_directory under a folder that does not exist yet: DuckDB creates only
    the last level when it first spills, so a big load failed there with an IO error."""
    from pipeline.warehouse import connect

    path = tmp_path / "community.yaml"
    path.write_text("warehouse: wh/w.duckdb\nsources: []\n"
                    "settings: {duckdb_temp_directory: spill/duckdb, duckdb_memory_limit: 300MB, duckdb_threads: 1}\n",
                    encoding="utf-8")
    config = load_config(path)
    conn = connect(config.warehouse, memory_limit=config.duckdb_memory_limit, threads=config.duckdb_threads)
    conn.execute("set preserve_insertion_order = false")
    # a sort bigger than the memory limit spills
    assert conn.execute("select count(*) from (select i, repeat('x', 64) || i as s from range(6000000) t(i) "
                        "order by s desc)").fetchone() == (6000000,)
    assert conn.execute("select current_setting('temp_directory')").fetchone() == (str(tmp_path / "spill" / "duckdb"),)
    assert (tmp_path / "spill" / "duckdb").is_dir()
    conn.close()


def test_the_runner_holds_the_warehouse_open_while_the_models_run(tmp_path):
    """Held open, the steps' connections share its DuckDB instance: they do not load the catalog
    again, and their close does not checkpoint (the WAL stays until the held connection closes).
    Closed, the file is free for another reader (the report workers)."""
    from pathlib import Path

    from pipeline.resources import WarehouseResource
    from pipeline.runner import WarehouseHeldOpen

    path = tmp_path / "community.yaml"
    path.write_text("warehouse: wh/w.duckdb\nsources: []\n", encoding="utf-8")
    config = load_config(path)
    held = WarehouseHeldOpen(config)
    held.open_if_exists()
    assert held.conn is None and not config.warehouse.exists()      # the raw stage creates it
    resource = WarehouseResource(path=str(config.warehouse), memory_limit=config.duckdb_memory_limit,
                                 threads=config.duckdb_threads)
    wal = Path(str(config.warehouse) + ".wal")
    with resource.get_connection() as conn:
        conn.execute("create table t as select 1 as x")
    assert not wal.exists()                     # the last connection closed: checkpointed
    held.open_if_exists()
    with resource.get_connection() as conn:
        conn.execute("insert into t values (2)")
    assert wal.exists()                         # a step's close no longer checkpoints
    with resource.get_connection() as conn:
        assert conn.execute("select sum(x) from t").fetchone() == (3,)
    held.close()
    assert not wal.exists()
    reader = duckdb.connect(str(config.warehouse), read_only=True)
    try:
        assert reader.execute("select count(*) from t").fetchone() == (2,)
    finally:
        reader.close()


@pytest.mark.parametrize("body, fragment", [
    ("community: {timezone: Mars/Olympus}\n", "community.timezone"),
    ("sources: [{name: a, platform: myspace, path: x}]\n", "sources[0].platform"),
    ("sources: [{name: business_inputs, platform: slack, path: x}]\n", "sources[0].name: 'business_inputs' is reserved"),
    ("sources: [{name: 微信群, platform: wechat, path: x}]\n", "sources[0].name: expected ASCII letters"),
    ("sources: [{name: a, platform: slack}]\n", "sources[0]: missing key(s) path"),
    ("community: {language: fr}\n", "community.language"),
    ("settings: {report_workers: 0}\n", "settings.report_workers: expected a whole number >= 1"),
])
def test_bad_config_is_named(tmp_path, body, fragment):
    path = tmp_path / "community.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        load_config(path)
    assert main(["run", "--config", str(path)]) == 2


def test_damaged_export_stops_only_itself(tmp_path, capsys):
    config = write_project(tmp_path)
    discord = tmp_path / "data" / "landing" / "discord"
    discord.mkdir(parents=True)
    (discord / "Guild - Text - general [1].json").write_text(
        '{"guild": {"id": "1", "name": "G"}, "channel": {"id": "1", "name": "general"}, "messages": [{"id": "5", ',
        encoding="utf-8")
    text = config.read_text("utf-8").replace(
        "business_inputs:", "  - {name: discord, platform: discord, path: data/landing/discord}\nbusiness_inputs:")
    config.write_text(text, encoding="utf-8")
    assert main(["run", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "could not be read" in out and "Guild - Text - general [1].json" in out
    assert main(["run", "--config", str(config), "--strict"]) == 1
    conn = duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True)
    try:
        ((status, error),) = conn.execute(
            "select status, error from raw.files where source = 'discord'").fetchall()
        assert status == "failed" and "Guild - Text - general [1].json" in error and "messages" in error
        # the canonical source went on: its week's report is there with its numbers
        assert conn.execute("select count(*) from staging.messages where source = 'forum'").fetchone()[0] == 8
    finally:
        conn.close()
    metrics = json.loads((tmp_path / "reports" / "weekly" / "2026-03-02" / "metrics.json").read_text("utf-8"))
    assert metrics["metrics"]["messages"]["value"] == 6


def test_run_window_limits_the_dates(tmp_path):
    config = write_project(tmp_path)
    assert main(["run", "--config", str(config), "--from", "2026-03-03", "--to", "2026-03-05"]) == 0
    conn = duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True)
    try:
        dates = [str(d) for (d,) in conn.execute("select date from marts.activity_daily order by 1").fetchall()]
    finally:
        conn.close()
    assert dates == ["2026-03-03", "2026-03-04", "2026-03-05"]


def test_sample_command_writes_a_project(tmp_path):
    assert main(["sample", "--out", str(tmp_path / "s")]) == 0
    config = load_config(tmp_path / "s" / "community.yaml")
    assert {s.platform for s in config.sources} == {"slack", "discord", "telegram"}
    assert main(["sample", "--out", str(tmp_path / "zh"), "--flavour", "zh"]) == 0
    config = load_config(tmp_path / "zh" / "community.yaml")
    assert {s.platform for s in config.sources} == {"slack", "discord", "telegram", "qq", "wechat", "wecom"}
    assert any((tmp_path / "zh" / "data" / "landing" / "wecom").glob("statistic_group_by_day_*.json"))
    from pipeline.cli import build_parser, cmd_demo
    args = build_parser().parse_args(["demo", "--flavour", "zh", "--out", "x"])
    assert (args.func, args.flavour, args.documents) == (cmd_demo, "zh", "latest")


def test_documents_option(tmp_path, capsys):
    from pipeline.cli import build_parser
    assert build_parser().parse_args(["run", "--config", "c.yaml"]).documents == "latest"
    assert build_parser().parse_args(["run", "--config", "c.yaml", "--documents", "all"]).documents == "all"
    assert build_parser().parse_args(["run", "--config", "c.yaml", "--pdf", "none"]).documents == "none"   # old name
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--config", "c.yaml", "--documents", "some"])
    assert "--documents" in capsys.readouterr().err
    # --documents none: every report, no PDF/PPTX; --documents all on the same project adds them
    config = write_project(tmp_path)
    assert main(["run", "--config", str(config), "--documents", "none"]) == 0
    reports = tmp_path / "reports"
    assert (reports / "weekly" / "2026-03-02" / "report.html").is_file()
    assert not list(reports.glob("*/*/report.pdf")) and not list(reports.glob("*/*/report.pptx"))
    capsys.readouterr()
    assert main(["run", "--config", str(config), "--documents", "all"]) == 0
    assert sorted(str(p.relative_to(reports)) for p in reports.glob("*/*/report.p*")) == [
        "monthly/2026-03-01/report.pdf", "monthly/2026-03-01/report.pptx",
        "weekly/2026-03-02/report.pdf", "weekly/2026-03-02/report.pptx"]
    out = capsys.readouterr().out
    assert "PDF + PPTX (2 periods):" in out and str(reports / "weekly" / "2026-03-02" / "report.pptx") in out


def test_init_lists_every_platform_ready_to_uncomment(tmp_path):
    """The commented source lines of the scaffolded community.yaml are valid entries, one per platform."""
    from pipeline.adapters import ADAPTER_MODULES

    assert main(["init", str(tmp_path / "proj")]) == 0
    path = tmp_path / "proj" / "community.yaml"
    text = path.read_text("utf-8")
    path.write_text(re.sub(r"(?m)^  # (- \{name: )", r"  \1", text), encoding="utf-8")
    config = load_config(path)
    assert {s.platform for s in config.sources} == set(ADAPTER_MODULES)
    assert next(s for s in config.sources if s.platform == "wechat").options == {"self_id": "wxid_owner"}


_EXIT_PROBE = """
import atexit, os, sys, tempfile, threading, time
import pipeline.cli as cli

class Noisy:
    def __del__(self):
        print("torn down", flush=True)      # only when the interpreter tears the module down

keep = Noisy()
folder = tempfile.TemporaryDirectory()      # removed by its finalizer, an exit hook
atexit.register(lambda: open(sys.argv[1], "w").write(folder.name))

def fake_main(argv):
    print("the run's summary")             # stays in the buffer unless flushed
    if argv == ["busy"]:
        threading.Thread(target=time.sleep, args=(0.3,)).start()
    return 3

cli.main = fake_main
cli.console(sys.argv[2:])
"""


@pytest.mark.parametrize("busy", [False, True])
def test_the_command_ends_without_the_interpreters_teardown(tmp_path, busy):
    """`community-report` (cli.console): main's exit code, its buffered output, the exit hooks
    (a temporary folder removed), and no teardown of the modules; with a thread of ours still
    running, the usual exit instead, which waits for it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}   # buffered, as in a pipe
    hook = tmp_path / "hook"
    done = subprocess.run([sys.executable, "-c", _EXIT_PROBE, str(hook), *(["busy"] if busy else [])],
                          capture_output=True, text=True, env=env, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 3, done.stderr
    assert done.stdout.splitlines() == ["the run's summary"] + (["torn down"] if busy else [])
    assert hook.is_file() and not Path(hook.read_text()).exists()
