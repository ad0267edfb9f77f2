"""Benchmark of the big-JSON path (not a test): python benchmarks/bench_jsonstream.py [N]

Generates a synthetic DiscordChatExporter-shaped file with N messages (default 1,000,000;
indented like DCE, every 10th message with a reaction, every 7th a reply) in /tmp, then times:

1. head + tail scan (``jsonstream.locate_array``),
2. the byte-range copy to a temp file,
3. DuckDB ``read_json(format='array', columns=…)`` into a table (the Discord adapter's columns),
4. for information, the whole Discord adapter (``load_export``, and its deferred messages query run
   into a table, as the loader would move them).

Target for 1–3: well under 5 s on the 2-core dev machine. The file is deleted afterwards.
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.adapters import discord, jsonstream  # noqa: E402
from pipeline.adapters.base import LoadContext  # noqa: E402
from pipeline.ingest.schema import create_candidate_tables  # noqa: E402
from pipeline.sql_runner import bind  # noqa: E402
from pipeline.warehouse import connect  # noqa: E402


def generate(path: Path, n: int, seed: int = 1) -> None:
    rnd = random.Random(seed)
    users = [(str(1000000000000000000 + i), f"user{i}") for i in range(5000)]
    t0 = 1700000000
    head = (
        '{\n  "guild": {\n    "id": "1519311536839983195",\n    "name": "bench guild",\n'
        '    "iconUrl": "media\\\\0.png"\n  },\n'
        '  "channel": {\n    "id": "1519311538035490958",\n    "type": "GuildTextChat",\n'
        '    "categoryId": "1",\n    "category": "Text Channels",\n    "name": "general",\n'
        '    "topic": null\n  },\n'
        '  "dateRange": {\n    "after": null,\n    "before": null\n  },\n'
        '  "exportedAt": "2026-06-24T21:07:18.5322821+07:00",\n  "messages": [\n')
    tz = dt.timezone(dt.timedelta(hours=7))
    with open(path, "w", encoding="utf-8") as f:
        f.write(head)
        buf = []
        for i in range(n):
            uid, name = users[rnd.randrange(len(users))]
            local = dt.datetime.fromtimestamp(t0 + i * 30, tz)
            stamp = local.strftime("%Y-%m-%dT%H:%M:%S") + f".{rnd.randrange(1000):03d}+07:00"
            mid = str(1519312230385057824 + i * 4096)
            react = ""
            if i % 10 == 0:
                ruid, rname = users[rnd.randrange(len(users))]
                react = (
                    '\n        {\n          "emoji": {\n            "id": "",\n'
                    '            "name": "\\uD83D\\uDCAF",\n            "code": "100",\n'
                    '            "isAnimated": false,\n            "imageUrl": "media\\\\1f4af.svg"\n'
                    '          },\n          "count": 2,\n'
                    f'          "users": [\n            {{\n              "id": "{ruid}",\n'
                    f'              "name": "{rname}",\n              "discriminator": "0000",\n'
                    f'              "nickname": "{rname}",\n              "isBot": false,\n'
                    '              "avatarUrl": "media\\\\a.png"\n            }\n          ]\n        }\n      ')
            ref = ""
            if i % 7 == 3:
                ref = (',\n      "reference": {\n        "type": "Default",\n'
                       f'        "messageId": "{int(mid) - 4096}",\n'
                       '        "channelId": "1519311538035490958",\n'
                       '        "guildId": "1519311536839983195"\n      }')
            buf.append(
                ("    {\n" if i == 0 else ",\n    {\n")
                + f'      "id": "{mid}",\n      "type": "{"Reply" if ref else "Default"}",\n'
                f'      "timestamp": "{stamp}",\n      "timestampEdited": null,\n'
                '      "callEndedTimestamp": null,\n      "isPinned": false,\n'
                f'      "content": "message number {i} with some text in it",\n'
                f'      "author": {{\n        "id": "{uid}",\n        "name": "{name}",\n'
                f'        "discriminator": "0000",\n        "nickname": "{name}",\n'
                '        "color": null,\n        "isBot": false,\n        "roles": [],\n'
                '        "avatarUrl": "media\\\\5.png"\n      },\n'
                f'      "attachments": [],\n      "embeds": [],\n      "stickers": [],\n'
                f'      "reactions": [{react}],\n      "mentions": [],\n      "inlineEmojis": []{ref}\n    }}')
            if len(buf) >= 10000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
        f.write(f'\n  ],\n  "messageCount": {n}\n}}\n')


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    work = Path(tempfile.mkdtemp(prefix="bench_jsonstream_", dir="/tmp"))
    src = work / "bench - general [1519311538035490958].json"
    try:
        t = time.perf_counter()
        generate(src, n)
        print(f"generated {n:,} messages, {src.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - t:.1f} s")
        conn = connect(work / "bench.duckdb")

        t0 = time.perf_counter()
        loc = jsonstream.locate_array(src, "messages")
        t1 = time.perf_counter()
        arr = work / "messages.array.json"
        jsonstream.copy_range(src, loc.start, loc.end, arr)
        t2 = time.perf_counter()
        # as load_array does it: into the in-memory scratch database, on a second cursor
        cur = jsonstream.scratch_cursor(conn)
        table = jsonstream.scratch_table("bench_messages")
        jsonstream.read_array_file(cur, arr, table, discord.MESSAGE_COLUMNS)
        t3 = time.perf_counter()
        rows = conn.execute(f"select count(*) from {table}").fetchone()[0]
        cur.close()
        arr.unlink()
        print(f"head+tail scan : {t1 - t0:6.2f} s  (array bytes {loc.start:,}..{loc.end:,})")
        print(f"range copy     : {t2 - t1:6.2f} s")
        print(f"DuckDB load    : {t3 - t2:6.2f} s  ({rows:,} rows)")
        print(f"TOTAL          : {t3 - t0:6.2f} s   <- target well under 5 s")
        jsonstream.drop_scratch(conn, "bench_messages")

        # For information: the whole adapter, candidate tables included.
        create_candidate_tables(conn)
        ctx = LoadContext(conn=conn, source="bench", platform="discord", file_id="x" * 64, path=src,
                          rel_path=src.name, file_seq=1, timezone="Asia/Shanghai",
                          exporter_timezone="Asia/Shanghai", tmp_dir=work / "tmp", options={})
        t4 = time.perf_counter()
        discord.load_export(ctx)
        # the messages' candidates are a deferred query (mapped when the loader moves them):
        # materialized here so that the figure includes the mapping
        query, params = ctx.deferred["messages"]
        conn.execute(f"create temp table _bench_messages as {query}", bind(query, params))
        t5 = time.perf_counter()
        counts = {e: conn.execute(f"select count(*) from {'_bench_messages' if e == 'messages' else '_in_' + e}")
                  .fetchone()[0] for e in ("messages", "users", "reactions", "membership_events")}
        for done in ctx.done:
            done()
        print(f"full Discord adapter load_export: {t5 - t4:6.2f} s  {counts}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process: {peak:,.0f} MB (DuckDB memory_limit 2GB, 2 threads)")
        conn.close()
    finally:
        for p in sorted(work.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
        work.rmdir()
        print(f"removed {work}")


if __name__ == "__main__":
    main()
