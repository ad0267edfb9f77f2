"""Scale benchmark (not a test): ``make bench`` / ``python benchmarks/bench_scale.py``.

Drives the real product path (``community-report run``, i.e. ``pipeline.runner.run_all`` and
the Dagster assets, each measured run in its own process) on the ``large`` sample (~100k
members, ~10.9M messages over a year; Slack zips, DiscordChatExporter JSON, Telegram
``result.json``) and prints a table, writing the figures as JSON to
``benchmarks/results/<YYYY-MM-DD>.json``. Phases (``--phases``, default all):

``generate``     the large sample, once, into ``--data`` (reused when it is already there).
``ingest``       per platform, the export unit nearest to 1M messages (at least 1M when one
                 exists; Slack: the biggest zip) loaded by the product's ingest
                 (``pipeline.ingest.loader.ingest_source``: hash, adapter, row rules, quarantine,
                 raw insert) into an empty warehouse; beside it the obvious pandas approach on the
                 same file (``json.load`` + ``pandas.json_normalize`` + group-bys), as a ratio.
                 The two sides alternate ``--repeat N`` times (default 2) and each side's fastest
                 run counts (every run is kept in ``all_seconds``).
``backfill``     ``community-report run`` on an empty project: every asset for the whole year
                 (raw, staging, intermediate, marts, every weekly and monthly report), wall time,
                 per-stage times, peak RSS of the whole process tree, and the share of wall time
                 spent in validation (asset-check steps, from the run's Dagster event log).
``incremental``  a daily update: history up to Saturday ``D-1`` already modelled (one month of
                 it, and the whole year), then one-day exports of Sunday ``D`` for the three
                 platforms dropped into the landing folders, then ``community-report run --from D
                 --to D --as-of D+1``, the next morning's run (loads the new files, models day D and
                 everything downstream including that ISO week's report). Month and year wall
                 times and their ratio. Once D's month is over on the machine's clock, also the
                 same run as of the month's end (``year_month_over``, once: the month's marts and
                 report too), beside the targets, not in them.
``demo``         ``community-report demo`` (small sample, end to end) in a fresh folder.

Every measured command runs in a child process; a sampler thread sums ``VmRSS`` over the
child and all its descendants (from ``/proc``) every 0.1 s. The machine's load (``/proc/loadavg``)
and the CPU used by other processes during each phase are recorded, since the figures are only
comparable on a quiet machine.

Usage::

    python benchmarks/bench_scale.py [--data DIR] [--work DIR] [--phases ingest,backfill,...]
                                     [--keep] [--no-pandas]

``--data`` holds the generated sample (default ``$BENCH_DATA`` or ``/tmp/community_bench/data``;
about 8 GB), ``--work`` the warehouses built from it (default ``<data>/../work``; about 10 GB
while the incremental scenario runs). Both are deleted at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS_DIR = ROOT / "benchmarks" / "results"
PY = sys.executable
CLI = str(Path(PY).with_name("community-report"))
GiB = 1 << 30
MB = 1e6

# the daily update's scenarios the targets are about (year_month_over is measured beside them)
TARGET_SCENARIOS = ("month", "year")
TARGETS = {  # name -> (limit, unit, comparison): the targets on a 2-core / 24 GiB machine
    "ingest_1m_seconds": (5.0, "s", "<"),
    "ingest_vs_pandas_ratio": (10.0, "x", ">="),
    "backfill_seconds": (300.0, "s", "<"),
    "backfill_peak_rss_gib": (3.0, "GiB", "<"),
    "incremental_seconds": (15.0, "s", "<"),
    "incremental_year_vs_month": (1.3, "x", "<"),
    "validation_share": (0.20, "", "<"),
    "demo_seconds": (60.0, "s", "<"),
}


# ============================================================================================
# measuring: process-tree RSS, load, CPU
# ============================================================================================

def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_bytes(root: int) -> int:
    kids = _children_map()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _rss_kib(pid)
        todo.extend(kids.get(pid, ()))
    return total * 1024


class TreeSampler(threading.Thread):
    """Peak of the summed RSS of a process and all its descendants, sampled every ``interval`` s."""

    def __init__(self, pid: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
            self._halt.wait(self.interval)

    def stop(self) -> int:
        self._halt.set()
        self.join()
        return self.peak


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def _cpu_jiffies() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields[:8]) - idle, sum(fields[:8])


class Machine:
    """CPU busy time of the whole machine vs. of our children during a phase."""

    def __enter__(self):
        self.load_before = loadavg()
        self.busy0, self.total0 = _cpu_jiffies()
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.ours0 = ru.ru_utime + ru.ru_stime
        self.t0 = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.wall = time.monotonic() - self.t0
        busy1, total1 = _cpu_jiffies()
        hz = os.sysconf("SC_CLK_TCK")
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        ours = ru.ru_utime + ru.ru_stime - self.ours0
        busy = (busy1 - self.busy0) / hz
        self.info = {
            "load_before": self.load_before, "load_after": loadavg(),
            "cpu_seconds_ours": round(ours, 1),
            "cpu_seconds_others": round(max(busy - ours, 0.0), 1),
            "machine_busy_share": round((busy1 - self.busy0) / max(total1 - self.total0, 1), 3),
        }
        return False


def run_measured(cmd: list[str], *, cwd: Path | None = None, env: dict | None = None, log: Path | None = None,
                 timeout: float | None = None, max_memory: int | None = None) -> dict:
    """Run ``cmd`` as a child process; wall time, peak tree RSS, exit code and its output.

    ``max_memory``: address-space limit in bytes (a MemoryError in the child instead of the
    OOM killer picking some other process of a shared machine).

    The disk is settled first (``os.sync``, not timed): the set-up before a measured command
    (generating the 8.4 GB sample, copying the 2 GB year warehouse for an incremental run)
    leaves GBs of written pages that the kernel writes back at the disk's speed (~110 MB/s on
    the benchmark machine) WHILE the measured command runs, so its own writes and fsyncs
    queued behind them: the raw stage of a backfill started right after generating the sample
    took 209 s, the same stage on a settled disk 105 s. A daily run does not start behind GBs of
    someone else's writes, so neither does its measurement. ``settle_s`` says how long that took."""
    t_settle = time.monotonic()
    os.sync()
    settle = time.monotonic() - t_settle
    t0 = time.monotonic()
    out = open(log, "w", encoding="utf-8") if log else subprocess.PIPE

    def limit() -> None:
        if max_memory:
            resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))

    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=out,
                            stderr=subprocess.STDOUT, text=True, preexec_fn=limit)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    try:
        stdout, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, _ = proc.communicate()
    wall = time.monotonic() - t0
    peak = sampler.stop()
    if log:
        out.close()
        stdout = log.read_text(encoding="utf-8", errors="replace")
    return {"wall_s": wall, "peak_rss_bytes": peak, "returncode": proc.returncode, "output": stdout or "",
            "settle_s": round(settle, 1)}


def child_json(output: str) -> dict:
    """The last line starting with BENCH_JSON of a child's output."""
    for line in reversed(output.splitlines()):
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON "):])
    raise RuntimeError(f"child printed no result:\n{output[-3000:]}")


STAGE_RE = re.compile(r"✓ (.*) \((\d+(?:\.\d+)?) s\)")


def stage_times(output: str) -> list[dict]:
    """The stages a ``community-report run`` logged as done (pipeline.runner.stage_done_line)."""
    return [{"stage": m.group(1), "seconds": float(m.group(2))} for m in STAGE_RE.finditer(output)]


# ============================================================================================
# project helpers
# ============================================================================================

SOURCES = (("slack_main", "slack", "slack_main"), ("discord", "discord", "discord"),
           ("tg_group", "telegram", "telegram"))


def write_project(project: Path, landing: Path, inputs: Path | None, bots: str, sources=SOURCES) -> Path:
    """A community.yaml for ``project`` reading ``landing/<folder>`` (absolute paths), with the
    DuckDB memory limit, threads and temp directory set explicitly."""
    project.mkdir(parents=True, exist_ok=True)
    lines = ["community: {name: 星火开发者社区, founded: 2024-03-01, timezone: Asia/Shanghai, language: zh}",
             "warehouse: data/warehouse.duckdb", "reports_dir: reports", "sources:"]
    for name, plat, folder in sources:
        extra = f", bots: [{bots}]" if plat == "telegram" and bots else ""
        lines.append(f"  - {{name: {name}, platform: {plat}, path: {landing / folder}{extra}}}")
    if inputs:
        lines.append(f"business_inputs: {inputs}")
    lines += ["settings:", "  duckdb_memory_limit: 2GB", "  duckdb_threads: 2",
              "  duckdb_temp_directory: data/.duckdb_tmp"]
    path = project / "community.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sample_bots(data: Path) -> str:
    text = (data / "community.yaml").read_text(encoding="utf-8")
    m = re.search(r"platform: telegram.*bots: \[([^\]]*)\]", text)
    return m.group(1) if m else ""


def hardlink_tree(src: Path, dst: Path) -> None:
    """Copy a folder tree with hard links (same file system: instant, no extra space)."""
    subprocess.run(["cp", "-al", str(src), str(dst)], check=True)


def copy_tree(src: Path, dst: Path) -> None:
    subprocess.run(["cp", "-a", "--reflink=auto", str(src), str(dst)], check=True)


def step_profile(dagster_home: Path, since: float) -> dict:
    """Seconds spent in asset-check steps vs. all steps, for the runs started after ``since``,
    and the slowest steps of all (where a run's time goes, from its Dagster event log).

    A check step is a step that emitted asset-check evaluations and no materialization.
    """
    code = f"""
import json, os
os.environ["DAGSTER_HOME"] = {str(dagster_home)!r}
import dagster as dg
from dagster._core.events import DagsterEventType as T
inst = dg.DagsterInstance.get()
steps = {{}}
for record in inst.get_run_records():
    run = record.dagster_run
    if record.create_timestamp.timestamp() < {since}:
        continue
    for rec in inst.all_logs(run.run_id):
        ev = rec.dagster_event
        if ev is None or ev.step_key is None:
            continue
        s = steps.setdefault((run.run_id, ev.step_key), {{"start": None, "end": None, "check": False, "mat": False}})
        if ev.event_type == T.STEP_START:
            s["start"] = rec.timestamp
        elif ev.event_type in (T.STEP_SUCCESS, T.STEP_FAILURE):
            s["end"] = rec.timestamp
        elif ev.event_type == T.ASSET_CHECK_EVALUATION:
            s["check"] = True
        elif ev.event_type == T.ASSET_MATERIALIZATION:
            s["mat"] = True
total = checks = 0.0
slowest, every = [], []
for (run_id, key), s in steps.items():
    if s["start"] is None or s["end"] is None:
        continue
    d = s["end"] - s["start"]
    total += d
    every.append((d, key))
    if s["check"] and not s["mat"]:
        checks += d
        slowest.append((d, key))
slowest.sort(reverse=True)
every.sort(reverse=True)
print("BENCH_JSON " + json.dumps({{"check_step_seconds": checks, "all_step_seconds": total, "steps": len(every),
      "slowest_checks": [[k, round(d, 2)] for d, k in slowest[:8]],
      "slowest_steps": [[k, round(d, 2)] for d, k in every[:12]]}}))
"""
    res = run_measured([PY, "-c", code], env={"DAGSTER_HOME": str(dagster_home)})
    return child_json(res["output"])


# ============================================================================================
# phase: generate
# ============================================================================================

def phase_generate(data: Path) -> dict:
    truth = data / "data" / "sample_truth.json"
    if truth.is_file() and json.loads(truth.read_text())["generator"]["scale"] == "large":
        return {"reused": True}
    code = ("from pathlib import Path; from pipeline.sample.generator import generate_sample; "
            f"generate_sample(Path({str(data)!r}), scale='large', overwrite=True)")
    res = run_measured([PY, "-c", code], cwd=ROOT)
    if res["returncode"]:
        raise RuntimeError(res["output"][-3000:])
    return {"reused": False, "wall_s": round(res["wall_s"], 1), "peak_rss_gib": round(res["peak_rss_bytes"] / GiB, 2)}


def sample_summary(data: Path) -> dict:
    truth = json.loads((data / "data" / "sample_truth.json").read_text())
    landing = data / "data" / "landing"
    files = [p for p in landing.rglob("*") if p.is_file()]
    return {
        "persons": truth["generator"]["persons"],
        "first_date": truth["generator"]["first_date"], "last_date": truth["generator"]["last_date"],
        "messages": truth["totals"]["messages"],
        "export_files": len(files),
        "landing_gb": round(sum(p.stat().st_size for p in files) / 1e9, 2),
        "biggest_file_mb": round(max(p.stat().st_size for p in files) / MB, 1),
    }


# ============================================================================================
# phase: ingest throughput vs pandas
# ============================================================================================

INGEST_CHILD = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from pipeline.config import load_config
from pipeline.ingest import loader
from pipeline.warehouse import connect

config = load_config({config!r})
source = config.sources[0]
rules = [0.0]
orig = loader._move_candidates
def timed(*a, **k):
    t = time.perf_counter()
    try:
        return orig(*a, **k)
    finally:
        rules[0] += time.perf_counter() - t
loader._move_candidates = timed
conn = connect(config.warehouse, memory_limit=config.duckdb_memory_limit, threads=config.duckdb_threads,
               temp_dir=str(config.duckdb_temp_directory) if getattr(config, "duckdb_temp_directory", None) else None)
t0 = time.perf_counter()
result = loader.ingest_source(conn, config, source)
wall = time.perf_counter() - t0
unit = result.units[0]
print("BENCH_JSON " + json.dumps({{"seconds": wall, "status": unit.status, "error": unit.error,
    "rows_loaded": unit.rows_loaded, "rules_seconds": rules[0],
    "messages": conn.execute("select count(*) from raw.messages").fetchone()[0]}}))
"""

PANDAS_CHILD = r"""
import json, sys, time, zipfile
import pandas as pd
path, platform = {path!r}, {platform!r}
t0 = time.perf_counter()
if platform == "slack":
    records = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            parts = name.rstrip("/").split("/")
            if len(parts) >= 2 and parts[-1][:4].isdigit() and name.endswith(".json"):
                day = json.loads(z.read(name))
                for m in day:
                    m["channel"] = parts[-2]
                records.extend(day)
    df = pd.json_normalize(records)
    df["sent_at"] = pd.to_datetime(df["ts"].astype(float), unit="s", utc=True)
    author, channel = "user", "channel"
else:
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    df = pd.json_normalize(doc["messages"])
    if platform == "discord":
        df["sent_at"] = pd.to_datetime(df["timestamp"], utc=True, format="ISO8601")
        author = "author.id"
        df["channel"] = doc["channel"]["id"]
    else:
        df["sent_at"] = pd.to_datetime(df["date_unixtime"].astype(int), unit="s", utc=True)
        author = "from_id"
        df["channel"] = doc.get("id")
    channel = "channel"
loaded = time.perf_counter() - t0
df["local_date"] = df["sent_at"].dt.tz_convert("Asia/Shanghai").dt.date
daily = df.groupby("local_date").agg(messages=(author, "size"), dau=(author, "nunique"))
per_author = df.groupby(author).size()
per_channel = df.groupby([channel, "local_date"]).size()
days = pd.Series(sorted(df["local_date"].unique()))
mau = [df.loc[(df["local_date"] > d - pd.Timedelta(days=30)) & (df["local_date"] <= d), author].nunique()
       for d in days]
total = time.perf_counter() - t0
print("BENCH_JSON " + json.dumps({{"seconds": total, "load_seconds": loaded, "rows": int(len(df))}}))
"""


def warm_page_cache(path: Path) -> None:
    """Read a file once so that both measured paths start with it in the page cache. Without
    this the order decides: pandas needs 6-11 GB, which evicts the next export from the cache,
    and the product path then paid a cold read from disk that pandas, run after it, did not."""
    with open(path, "rb") as fh:
        while fh.read(8 << 20):
            pass


def warm_inputs(folder: Path) -> dict:
    """Read every export under ``folder`` once (not timed): a backfill's exports have just landed
    (downloaded, unpacked or generated), so they are in the page cache. Without this the raw
    stage measured whatever earlier runs had left cached: the disk reads ~110 MB/s here, and the
    same code's raw stage took 92.6-119.4 s over one day's runs as 0-2 GB of the 8.4 GB had been
    evicted (``fincore``). ``seconds`` says how long the read took (near 0 when all was cached)."""
    started, size = time.monotonic(), 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        warm_page_cache(path)
        size += path.stat().st_size
    return {"seconds": round(time.monotonic() - started, 1), "gb": round(size / 1e9, 2)}


def pick_units(data: Path, counts: dict[str, int]) -> dict[str, Path]:
    """Per platform: the export unit nearest to 1M messages (>= 1M when one exists); Slack:
    the biggest zip. ``counts``: messages per file path (from a loaded warehouse), if known."""
    landing = data / "data" / "landing"
    picks = {}
    for _name, plat, folder in SOURCES:
        files = [p for p in (landing / folder).rglob("*") if p.is_file() and p.suffix in (".json", ".zip")]
        if plat == "slack" or not counts:
            if plat == "slack":
                picks[plat] = max(files, key=lambda p: p.stat().st_size)
            else:   # no counts: the biggest file ≈ most messages
                picks[plat] = max(files, key=lambda p: p.stat().st_size)
            continue
        known = [(counts.get(str(p), 0), p) for p in files]
        over = [k for k in known if k[0] >= 1_000_000]
        picks[plat] = min(over)[1] if over else max(known)[1]
    return picks


def ledger_counts(warehouse: Path, landing: Path) -> dict[str, int]:
    if not warehouse.is_file():
        return {}
    import duckdb
    try:
        conn = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:       # busy (a backfill running): fall back to file sizes
        return {}
    try:
        rows = conn.execute("select source, file_path, messages_read from raw.files").fetchall()
    except Exception:  # noqa: BLE001
        return {}
    finally:
        conn.close()
    folder = {name: f for name, _p, f in SOURCES}
    return {str(landing / folder[s] / p): n for s, p, n in rows if s in folder}


def _ingest_once(plat: str, unit: Path, landing: Path, work: Path, bots: str) -> dict:
    """The product's ingest of ``unit`` into an empty warehouse, in a child process."""
    name, _p, folder = next(s for s in SOURCES if s[1] == plat)
    project = work / f"ingest_{plat}"
    shutil.rmtree(project, ignore_errors=True)
    src_dir = project / "landing" / folder
    rel = unit.relative_to(landing / folder)
    (src_dir / rel).parent.mkdir(parents=True, exist_ok=True)
    os.link(unit, src_dir / rel)
    config = write_project(project, project / "landing", None, bots, sources=[(name, plat, folder)])
    size = unit.stat().st_size
    warm_page_cache(unit)
    with Machine() as m:
        res = run_measured([PY, "-c", INGEST_CHILD.format(root=str(ROOT), config=str(config))], cwd=ROOT)
    shutil.rmtree(project, ignore_errors=True)
    if res["returncode"]:
        raise RuntimeError(f"ingest {plat} failed:\n{res['output'][-3000:]}")
    r = child_json(res["output"])
    return {"file": str(rel), "file_mb": round(size / MB, 1), "messages": r["messages"],
            "seconds": round(r["seconds"], 2), "msgs_per_s": round(r["messages"] / r["seconds"]),
            "mb_per_s": round(size / MB / r["seconds"], 1),
            "seconds_per_1m_messages": round(r["seconds"] / r["messages"] * 1e6, 2),
            "row_rules_seconds": round(r["rules_seconds"], 2),
            "peak_rss_gib": round(res["peak_rss_bytes"] / GiB, 2), "machine": m.info}


def _pandas_once(plat: str, unit: Path, max_gib: int) -> dict:
    """The obvious pandas approach on ``unit``, in a child process (``error`` when it fails)."""
    warm_page_cache(unit)
    with Machine() as m:
        pres = run_measured([PY, "-c", PANDAS_CHILD.format(path=str(unit), platform=plat)], timeout=1800,
                            max_memory=max_gib * GiB)
    if pres["returncode"]:
        return {"error": pres["output"][-500:], "seconds_until_error": round(pres["wall_s"], 1),
                "peak_rss_gib": round(pres["peak_rss_bytes"] / GiB, 2)}
    p = child_json(pres["output"])
    return {"seconds": round(p["seconds"], 2), "load_seconds": round(p["load_seconds"], 2),
            "rows": p["rows"], "msgs_per_s": round(p["rows"] / p["seconds"]),
            "peak_rss_gib": round(pres["peak_rss_bytes"] / GiB, 2), "machine": m.info}


def phase_ingest(data: Path, work: Path, counts: dict[str, int], pandas: bool, pandas_max_gib: int = 14,
                 repeat: int = 1) -> dict:
    """Per platform, the product's ingest and the pandas approach on the same file, alternated
    ``repeat`` times; each side's fastest run counts (``all_seconds`` lists every run), as for the
    incremental phase: on this VM the same load's CPU time varies by up to ~30 % from minute to
    minute (7.3 vs 9.5 CPU-s for the Telegram file, five minutes apart), and one sample of a 4 s
    load is mostly that noise."""
    out = {}
    bots = sample_bots(data)
    landing = data / "data" / "landing"
    for plat, unit in pick_units(data, counts).items():
        runs, pandas_runs = [], []
        for _ in range(max(repeat, 1)):
            runs.append(_ingest_once(plat, unit, landing, work, bots))
            if pandas:
                pandas_runs.append(_pandas_once(plat, unit, pandas_max_gib))
        row = dict(min(runs, key=lambda r: r["seconds"]), all_seconds=[r["seconds"] for r in runs])
        if pandas_runs:
            ok = [p for p in pandas_runs if "error" not in p]
            if not ok:
                row["pandas"] = pandas_runs[-1]
            else:
                row["pandas"] = dict(min(ok, key=lambda p: p["seconds"]), all_seconds=[p["seconds"] for p in ok])
                row["speedup_vs_pandas"] = round(row["msgs_per_s"] / row["pandas"]["msgs_per_s"], 1)
        out[plat] = row
    return out


# ============================================================================================
# phase: full backfill
# ============================================================================================

def phase_backfill(data: Path, work: Path, documents: str = "latest") -> dict:
    project = work / "year"
    shutil.rmtree(project, ignore_errors=True)
    config = write_project(project, data / "data" / "landing", data / "data" / "inputs", sample_bots(data))
    warmed = warm_inputs(data / "data" / "landing")
    since = time.time()
    with Machine() as m:
        res = run_measured([CLI, "run", "--config", str(config), "--documents", documents], cwd=project,
                           log=work / "backfill.log")
    val = step_profile(project / ".dagster", since)
    reports = list((project / "reports").rglob("report.html"))
    return {"wall_s": round(res["wall_s"], 1), "peak_rss_gib": round(res["peak_rss_bytes"] / GiB, 2),
            "stages": stage_times(res["output"]), "reports": len(reports), "documents": documents,
            "pdfs": len(list((project / "reports").rglob("report.pdf"))),
            "validation_seconds": round(val["check_step_seconds"], 1),
            "validation_share": round(val["check_step_seconds"] / res["wall_s"], 3),
            "slowest_checks": val["slowest_checks"], "steps": val["steps"],
            "step_seconds": round(val["all_step_seconds"], 1), "slowest_steps": val["slowest_steps"],
            "machine": m.info, "warehouse_gb": round((project / "data" / "warehouse.duckdb").stat().st_size / 1e9, 2),
            "disk_settled_before_s": res["settle_s"], "inputs_read_before": warmed, **_failure(res)}


def _failure(res: dict) -> dict:
    """A failed run is still reported (how far it got and why), never silently dropped."""
    if not res["returncode"]:
        return {}
    lines = [l for l in res["output"].splitlines() if "Error" in l or "error" in l]
    return {"failed": True, "returncode": res["returncode"], "error": (lines[-1] if lines else res["output"][-500:])[:500]}


# ============================================================================================
# phase: daily incremental update
# ============================================================================================

SPLIT_CHILD = r"""
import json, os, sys
from datetime import date, timedelta
sys.path.insert(0, {root!r})
from pipeline.build import build_model
from pipeline.config import load_config
from pipeline.ingest.export_people import summarise
from pipeline.ingest.schema import create_raw_tables
from pipeline.model_registry import MODELS
from pipeline.warehouse import connect

config = load_config({config!r})
day = date.fromisoformat({day!r})
keep_from = date.fromisoformat({keep_from!r}) if {keep_from!r} else None
conn = connect(config.warehouse, memory_limit=config.duckdb_memory_limit, threads=config.duckdb_threads)
def outside(col):
    cond = f"{{col}} >= DATE '{{day}}'"
    if keep_from:
        cond += f" or {{col}} < DATE '{{keep_from}}'"
    return cond
create_raw_tables(conn)     # a year of an earlier version: the tables export_people.py fills
conn.execute("begin transaction")
# reactions of the messages that leave the history go with them
conn.execute(f'''delete from raw.reactions r using raw.messages m
                where r.source = m.source and r.message_id = m.message_id and ({{outside("m.local_date")}})''')
conn.execute(f"delete from raw.messages where {{outside('local_date')}}")
conn.execute(f"delete from raw.membership_events where {{outside('local_date')}}")
summarise(conn)             # who appears in each export, of the rows left (export_people.py)
tables = {{r[0] + '.' + r[1] for r in conn.execute(
    "select table_schema, table_name from information_schema.tables").fetchall()}}
for spec in MODELS:
    if spec.grain is None or spec.relation not in tables:
        continue
    if spec.grain == "daily":
        conn.execute(f"delete from {{spec.relation}} where {{outside(spec.time_column)}}")
    else:   # the period holding the new day is recomputed by the update; older ones go with the month
        week = day - timedelta(days=day.weekday())
        start = week if spec.grain == "weekly" else day.replace(day=1)
        cond = f"{{spec.time_column}} >= DATE '{{start}}'"
        if keep_from:
            cond += f" or {{spec.time_column}} < DATE '{{keep_from}}'"
        conn.execute(f"delete from {{spec.relation}} where {{cond}}")
conn.execute("commit")
# the unpartitioned models as the previous morning's run left them: built from the history kept
# (sql_runner.py gives an existing table only the rows that differ, so an update must find the
# table the day before had, not the whole year's)
for spec in MODELS:
    if spec.grain is None and spec.relation in tables:
        build_model(conn, spec, day, day, config.timezone, config.interest_tags)
conn.execute("checkpoint")
out = {{"messages": conn.execute("select count(*) from raw.messages").fetchone()[0],
       "first": str(conn.execute("select min(local_date) from raw.messages").fetchone()[0])}}
if keep_from:
    # A warehouse that only ever held a month is a month's size. The deletes above leave the
    # year's file (~2 GB, 88 % of its rows deleted), whose deleted row groups DuckDB compacts at
    # later checkpoints: the update's first checkpoint then took ~3 s. Copied into a new file,
    # schemas, tables and macros as they are, it is what a month of history would be.
    compact = str(config.warehouse) + ".compact"
    db = conn.execute("select current_database()").fetchone()[0]
    conn.execute("attach $p as compact", {{"p": compact}})
    conn.execute(f'copy from database "{{db}}" to compact')
    conn.execute("detach compact")
    conn.close()
    os.replace(compact, config.warehouse)
print("BENCH_JSON " + json.dumps(out))
"""

DAY_EXPORT_CHILD = r"""
import json, os, re, sys, zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
sys.path.insert(0, {root!r})
import duckdb
from pipeline.adapters import jsonstream

landing, out, day = Path({landing!r}), Path({out!r}), {day!r}
from pipeline.warehouse import connection_config
con = duckdb.connect(":memory:", config=connection_config())
made = {{}}

def day_elements(path, where):
    loc = jsonstream.locate_array(path, "messages")
    tmp = out / "_array.json"
    jsonstream.copy_range(loc.path, loc.start, loc.end, tmp)
    rows = con.execute(f"select json::varchar from read_json('{{tmp}}', format='array', records=false, "
                       f"columns={{{{'json': 'JSON'}}}}, maximum_object_size=67108864) where {{where}}").fetchall()
    tmp.unlink()
    with open(path, "rb") as fh:
        head = fh.read(loc.start)
    return head, [r[0] for r in rows]

# Discord: every channel file of the newest export run, cut to the messages of that day
newest = max(p for p in (landing / "discord").iterdir() if p.is_dir())
n = 0
for f in sorted(newest.glob("*.json")):
    head, els = day_elements(f, "cast(timezone('Asia/Shanghai', cast(json->>'timestamp' as timestamptz)) as date) "
                                f"= DATE '{{day}}'")
    if not els:
        continue
    dst = out / "discord" / f"{{day}}-daily" / f.name
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(dst, "wb") as fh:
        fh.write(head + ("[\n" + ",\n".join(els) + "\n],\n\"messageCount\": " + str(len(els)) + "\n}}\n").encode())
    n += len(els)
made["discord"] = n

# Telegram: the newest result.json cut to that day (dates are local: exporter time zone)
newest = max((landing / "telegram").glob("ChatExport_*/result.json"))
head, els = day_elements(newest, f"starts_with(json->>'date', '{{day}}')")
dst = out / "telegram" / f"ChatExport_{{day}} (daily)" / "result.json"
dst.parent.mkdir(parents=True, exist_ok=True)
with open(dst, "wb") as fh:
    fh.write(head + ("[\n" + ",\n".join(els) + "\n]\n}}\n").encode())
made["telegram"] = len(els)

# Slack: a workspace export zip with the metadata files and every channel's file of that day
newest = max((landing / "slack_main").glob("*.zip"), key=lambda p: p.stat().st_mtime)
n = 0
dst = out / "slack_main" / f"slack_export_{{day}}.zip"
dst.parent.mkdir(parents=True, exist_ok=True)
with zipfile.ZipFile(newest) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for info in zin.infolist():
        name = info.filename
        if "/" not in name.rstrip("/") or name.endswith(f"/{{day}}.json"):
            if name.endswith(f"/{{day}}.json"):
                n += len(json.loads(zin.read(name)))
            zout.writestr(info, zin.read(name))
made["slack"] = n
print("BENCH_JSON " + json.dumps(made))
"""


def phase_incremental(data: Path, work: Path, day: date, repeat: int = 1, documents: str = "latest") -> dict:
    year = work / "year"
    if not (year / "data" / "warehouse.duckdb").is_file():
        raise RuntimeError("the incremental phase needs the backfill phase's warehouse (run it first)")
    daily = work / "day_exports"
    shutil.rmtree(daily, ignore_errors=True)
    daily.mkdir(parents=True)
    res = run_measured([PY, "-c", DAY_EXPORT_CHILD.format(root=str(ROOT), landing=str(data / "data" / "landing"),
                                                          out=str(daily), day=day.isoformat())], cwd=ROOT)
    if res["returncode"]:
        raise RuntimeError(f"day export failed:\n{res['output'][-3000:]}")
    made = child_json(res["output"])
    out = {"day": day.isoformat(), "new_day_messages": made, "scenarios": {}}
    week = day - timedelta(days=day.weekday())
    # The update is the run of the morning after D (--as-of D+1), as the daily schedule runs it:
    # D's week is over then, its month is not (unless D is a month's last day). Without --as-of
    # the run would take the machine's date for today, and once D's month is over it would also
    # rebuild that month's marts and report (a late re-run of D): measured once beside, as
    # "year_month_over", for comparison (stops 21-24 measured that on a December clock).
    next_morning = day + timedelta(days=1)
    month_over = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    scenarios = [("month", day - timedelta(days=30), next_morning, repeat), ("year", None, next_morning, repeat)]
    if next_morning < month_over <= date.today():
        scenarios.append(("year_month_over", None, month_over, 1))
    out["as_of"] = {label: as_of.isoformat() for label, _, as_of, _ in scenarios}
    for label, keep_from, as_of, runs_wanted in scenarios:
        runs = []
        for i in range(runs_wanted):
            project = work / f"inc_{label}"
            shutil.rmtree(project, ignore_errors=True)
            project.mkdir(parents=True)
            # the warehouse, reports and Dagster instance of the year, as the day before left
            # them: the run history says which models of the business inputs are up to date
            # (pipeline/unchanged.py), as yesterday's run would have
            for sub in ("data", "reports", ".dagster"):
                copy_tree(year / sub, project / sub)
            shutil.rmtree(project / "data" / ".duckdb_tmp", ignore_errors=True)
            hardlink_tree(data / "data" / "landing", project / "landing")
            config = write_project(project, project / "landing", data / "data" / "inputs", sample_bots(data))
            split = run_measured([PY, "-c", SPLIT_CHILD.format(root=str(ROOT), config=str(config), day=day.isoformat(),
                                                               keep_from=keep_from.isoformat() if keep_from else "")],
                                 cwd=ROOT)
            if split["returncode"]:
                raise RuntimeError(f"history split failed:\n{split['output'][-3000:]}")
            history = child_json(split["output"])
            shutil.rmtree(project / "reports" / "weekly" / week.isoformat(), ignore_errors=True)
            # the new day's exports arrive in the landing folders
            for folder in ("slack_main", "discord", "telegram"):
                for f in (daily / folder).rglob("*"):
                    if f.is_file():
                        dst = project / "landing" / folder / f.relative_to(daily / folder)
                        dst.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(f, dst)
            since = time.time()
            with Machine() as m:
                r = run_measured([CLI, "run", "--config", str(config), "--from", day.isoformat(),
                                  "--to", day.isoformat(), "--as-of", as_of.isoformat(), "--documents", documents],
                                 cwd=project,
                                 log=work / f"incremental_{label}.log")
            val = step_profile(project / ".dagster", since)
            report = project / "reports" / "weekly" / week.isoformat() / "report.html"
            month_report = project / "reports" / "monthly" / day.replace(day=1).isoformat() / "report.html"
            runs.append({"wall_s": round(r["wall_s"], 2), "peak_rss_gib": round(r["peak_rss_bytes"] / GiB, 2),
                         "stages": stage_times(r["output"]), "history_messages": history["messages"],
                         "history_first_date": history["first"], "weekly_report_written": report.is_file(),
                         "monthly_report_written": month_report.is_file() and month_report.stat().st_mtime >= since,
                         "validation_seconds": round(val["check_step_seconds"], 2), "steps": val["steps"],
                         "step_seconds": round(val["all_step_seconds"], 1), "slowest_steps": val["slowest_steps"],
                         "machine": m.info,
                         "disk_settled_before_s": r["settle_s"], **_failure(r)})
            shutil.rmtree(project, ignore_errors=True)
        best = min(runs, key=lambda x: x["wall_s"])
        out["scenarios"][label] = {**best, "all_wall_s": [x["wall_s"] for x in runs]}
    out["year_vs_month"] = round(out["scenarios"]["year"]["wall_s"] / out["scenarios"]["month"]["wall_s"], 2)
    shutil.rmtree(daily, ignore_errors=True)
    return out


# ============================================================================================
# phase: demo
# ============================================================================================

def phase_demo(work: Path, documents: str = "latest") -> dict:
    out_dir = work / "demo"
    shutil.rmtree(out_dir, ignore_errors=True)
    with Machine() as m:
        res = run_measured([CLI, "demo", "--out", str(out_dir), "--documents", documents], cwd=work, log=work / "demo.log")
    reports = list((out_dir / "reports").rglob("report.html"))
    pdfs = list((out_dir / "reports").rglob("report.pdf"))
    shutil.rmtree(out_dir, ignore_errors=True)
    return {"wall_s": round(res["wall_s"], 1), "peak_rss_gib": round(res["peak_rss_bytes"] / GiB, 2),
            "reports": len(reports), "documents": documents, "pdfs": len(pdfs), "stages": stage_times(res["output"]), "machine": m.info, **_failure(res)}


# ============================================================================================
# report
# ============================================================================================

def machine_info() -> dict:
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    mem = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
    import duckdb
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(mem / (1 << 20), 1),
            "python": platform.python_version(), "duckdb": duckdb.__version__,
            "kernel": platform.release()}


def evaluate(results: dict) -> dict:
    measured = {}
    ing = results.get("ingest") or {}
    big = [r for p, r in ing.items() if p in ("discord", "telegram") and r["messages"] >= 1_000_000]
    if big:
        # the 1M-message single-file target, scaled to exactly 1M messages (worst platform)
        measured["ingest_1m_seconds"] = max(r["seconds_per_1m_messages"] for r in big)
        ratios = [r["speedup_vs_pandas"] for r in big if "speedup_vs_pandas" in r]
        if ratios:
            measured["ingest_vs_pandas_ratio"] = min(ratios)
    bf = results.get("backfill")
    if bf:
        measured["backfill_seconds"] = bf["wall_s"]
        measured["backfill_peak_rss_gib"] = bf["peak_rss_gib"]
        measured["validation_share"] = bf["validation_share"]
    inc = results.get("incremental")
    if inc:
        measured["incremental_seconds"] = max(inc["scenarios"][label]["wall_s"] for label in TARGET_SCENARIOS)
        measured["incremental_year_vs_month"] = inc["year_vs_month"]
    if results.get("demo"):
        measured["demo_seconds"] = results["demo"]["wall_s"]
    failed = set()
    if bf and bf.get("failed"):
        failed |= {"backfill_seconds", "backfill_peak_rss_gib", "validation_share"}
    if inc and any(inc["scenarios"][label].get("failed") for label in TARGET_SCENARIOS):
        failed |= {"incremental_seconds", "incremental_year_vs_month"}
    if results.get("demo", {}).get("failed"):
        failed.add("demo_seconds")
    verdict = {}
    for key, value in measured.items():
        limit, unit, op = TARGETS[key]
        ok = value < limit if op == "<" else value >= limit
        if ok:
            miss = None
        elif op == "<":
            miss = f"{(value / limit - 1) * 100:.0f} % over the target"
        else:
            miss = f"{(1 - value / limit) * 100:.0f} % under the target"
        if key in failed:
            ok, miss = False, "the run failed before the end (figure up to the failure)"
        verdict[key] = {"value": value, "target": f"{op} {limit} {unit}".strip(), "met": ok, "missed_by": miss}
    return verdict


def print_table(results: dict) -> None:
    print()
    s = results.get("sample") or {}
    if s:
        print(f"Sample: {s['messages']:,} messages, {s['persons']:,} persons, {s['first_date']} .. {s['last_date']}, "
              f"{s['export_files']} export files, {s['landing_gb']} GB (biggest {s['biggest_file_mb']} MB)")
    ing = results.get("ingest") or {}
    if ing:
        runs = max((len(r.get("all_seconds", [])) for r in ing.values() if isinstance(r, dict)), default=1)
        each = f", the fastest of {runs} runs of each side" if runs > 1 else ""
        print(f"\nIngest (product path: hash + adapter + row rules + raw insert), one export unit per platform{each}")
        print(f"{'platform':9} {'MB':>7} {'messages':>10} {'s':>7} {'msg/s':>10} {'MB/s':>7} {'s/1M':>6} "
              f"{'RSS GiB':>7} | {'pandas s':>8} {'pandas msg/s':>12} {'pd GiB':>6} {'ratio':>6}")
        for plat, r in ing.items():
            if not isinstance(r, dict):        # a note kept beside the figures
                continue
            p = r.get("pandas") or {}
            print(f"{plat:9} {r['file_mb']:>7} {r['messages']:>10,} {r['seconds']:>7} {r['msgs_per_s']:>10,} "
                  f"{r['mb_per_s']:>7} {r['seconds_per_1m_messages']:>6} {r['peak_rss_gib']:>7} | "
                  f"{p.get('seconds', '-'):>8} {p.get('msgs_per_s', '-'):>12} {p.get('peak_rss_gib', '-'):>6} "
                  f"{r.get('speedup_vs_pandas', '-'):>6}")
    for key, title in (("backfill", "Full-year backfill (community-report run, empty warehouse)"),
                       ("demo", "Demo (community-report demo: small sample, end to end)")):
        r = results.get(key)
        if r:
            print(f"\n{title}: {r['wall_s']} s (CPU {r['machine']['cpu_seconds_ours']} s; other processes used "
                  f"{r['machine']['cpu_seconds_others']} CPU s meanwhile), peak RSS {r['peak_rss_gib']} GiB, {r['reports']} reports"
                  f"{'  FAILED: ' + r['error'] if r.get('failed') else ''}")
            if key == "backfill":
                print(f"  validation (asset-check steps): {r['validation_seconds']} s = "
                      f"{r['validation_share'] * 100:.1f} % of wall time")
            for st in sorted(r["stages"], key=lambda x: -x["seconds"])[:8]:
                print(f"  {st['seconds']:>7.1f} s  {st['stage'][:100]}")
    inc = results.get("incremental")
    if inc:
        print(f"\nDaily incremental update (new exports for {inc['day']}: {inc['new_day_messages']} messages; "
              f"run --from/--to that day --as-of the next day, including its week's report)")
        for label, r in inc["scenarios"].items():
            if label not in TARGET_SCENARIOS:
                print(f"  {label} (--as-of {inc['as_of'][label]}: the same day re-run once its month is over, "
                      f"also the month's marts and report; not the target's scenario):")
            print(f"  {label:5} history ({r['history_messages']:,} messages from {r['history_first_date']}): "
                  f"{r['wall_s']} s (CPU {r['machine']['cpu_seconds_ours']} s, others {r['machine']['cpu_seconds_others']} s), "
                  f"peak RSS {r['peak_rss_gib']} GiB, "
                  f"validation {r['validation_seconds']} s, weekly report {'written' if r['weekly_report_written'] else 'MISSING'}"
                  f"{', monthly report written' if r.get('monthly_report_written') else ''}"
                  f"{'  FAILED: ' + r['error'] if r.get('failed') else ''}")
            for st in sorted(r["stages"], key=lambda x: -x["seconds"])[:5]:
                print(f"      {st['seconds']:>6.1f} s  {st['stage'][:90]}")
            if r.get("slowest_steps"):
                print(f"      {r['steps']} Dagster steps, {r['step_seconds']} s in them; slowest: "
                      + ", ".join(f"{key} {sec}" for key, sec in r["slowest_steps"][:6]))
        print(f"  year / month: {inc['year_vs_month']}")
    print("\nTargets (2 cores, 24 GiB):")
    for key, v in results.get("targets", {}).items():
        state = "met" if v["met"] else f"MISSED ({v['missed_by']})"
        print(f"  {key:28} {v['value']!s:>8}  target {v['target']:12} {state}")
    print(f"\nLoad average before {results['load_before']}, after {results['load_after']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_data = Path(os.environ.get("BENCH_DATA", "/tmp/community_bench/data"))
    ap.add_argument("--data", type=Path, default=default_data, help="the large sample (generated when missing)")
    ap.add_argument("--work", type=Path, default=None, help="warehouses built during the benchmark")
    ap.add_argument("--phases", default="generate,ingest,backfill,incremental,demo")
    ap.add_argument("--repeat", type=int, default=2,
                    help="incremental runs per scenario, and ingest runs per platform of each side (the fastest "
                         "counts; default 2: one run of a few seconds is mostly the VM's minute-to-minute noise)")
    ap.add_argument("--no-pandas", action="store_true", help="skip the pandas comparison (it needs ~4 GB per 1M messages)")
    from pipeline.report.batch import DOCUMENT_CHOICES

    ap.add_argument("--documents", "--pdf", dest="documents", choices=DOCUMENT_CHOICES, default="latest",
                    help="community-report run --documents (report.pdf + report.pptx) in backfill, incremental "
                         "and demo (default: the product's)")
    ap.add_argument("--keep", action="store_true", help="keep the generated sample and the warehouses")
    ap.add_argument("--out", type=Path, default=None, help="results JSON (default benchmarks/results/<date>.json)")
    ap.add_argument("--counts-from", type=Path, default=None,
                    help="a warehouse that loaded this sample (messages per export, to pick the ~1M files)")
    ap.add_argument("--fresh", action="store_true",
                    help="do not keep the other phases' figures of an existing results file of the same day")
    args = ap.parse_args(argv)
    data, work = args.data.resolve(), (args.work or args.data.parent / "work").resolve()
    work.mkdir(parents=True, exist_ok=True)
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    results: dict = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "machine": machine_info(), "load_before": loadavg(), "phases": phases}
    t0 = time.monotonic()

    def log(msg: str) -> None:
        print(f"[{time.monotonic() - t0:7.1f} s] {msg}", flush=True)

    if "generate" in phases or not (data / "data" / "sample_truth.json").is_file():
        log(f"generate: large sample in {data}")
        results["generate"] = phase_generate(data)
    results["sample"] = sample_summary(data)
    last = date.fromisoformat(results["sample"]["last_date"])
    if "backfill" in phases:
        log("backfill: community-report run on an empty warehouse (whole year)")
        results["backfill"] = phase_backfill(data, work, documents=args.documents)
        log(f"backfill: {results['backfill']['wall_s']} s")
    if "ingest" in phases:
        counts = ledger_counts(args.counts_from or work / "year" / "data" / "warehouse.duckdb",
                               data / "data" / "landing")
        log("ingest: one unit per platform, product path vs pandas")
        results["ingest"] = phase_ingest(data, work, counts, pandas=not args.no_pandas, repeat=args.repeat)
    if "incremental" in phases:
        log(f"incremental: history up to {last - timedelta(days=1)}, new exports for {last}")
        results["incremental"] = phase_incremental(data, work, last, repeat=args.repeat, documents=args.documents)
    if "demo" in phases:
        log("demo: community-report demo")
        results["demo"] = phase_demo(work, documents=args.documents)
    results["load_after"] = loadavg()
    results["total_s"] = round(time.monotonic() - t0, 1)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = args.out or RESULTS_DIR / f"{date.today().isoformat()}.json"
    if out.is_file() and not args.fresh:
        # phases run separately on the same day (e.g. --phases incremental after a fix) add up
        previous = json.loads(out.read_text(encoding="utf-8"))
        for key, value in previous.items():     # other phases, and figures kept by hand (notes, earlier runs)
            if key not in results and key not in ("targets", "total_s"):
                results[key] = value
        results["phases"] = sorted(set(previous.get("phases", [])) | set(phases))
    results["targets"] = evaluate(results)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_table(results)
    print(f"\nResults: {out}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
        if "generate" in phases and not results.get("generate", {}).get("reused"):
            shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
