"""Everything a report worker loads before its first task, loaded on import.

The report workers are forked from multiprocessing's fork server (pipeline/report/batch.py),
which imports this module once, before it forks any of them: each worker then starts with
matplotlib, WeasyPrint, python-pptx, every section module (scipy.stats for the strategy
section's test among them) and the keyword segmenter's dictionary already loaded, in memory
pages it shares with the server and its siblings until it writes to them. Where there is no
fork server (not on Linux or macOS), each spawned worker imports it in its initializer.

Why: two spawned workers imported all this side by side, ~2.1 s of CPU each, while the run's
own process was modelling the week on the same two cores; once in a fork server it is half the
CPU (the benchmark's daily update: the weekly stage 1.5 -> 1.0 s, docs/BENCHMARKS.md). The
registered sections were imported by the first report (~0.5 s, scipy.stats), on its longest path.
"""

import gc

import pipeline.report.documents  # noqa: F401
import pipeline.report.pdf  # noqa: F401  (WeasyPrint)
import pipeline.report.pptx  # noqa: F401
import pipeline.report.render  # noqa: F401  (matplotlib, Jinja2)
from pipeline.report.sections import load_all
from pipeline.report.sections._text import tokenizer

load_all()                          # the registered sections' modules
tokenizer()                         # the segmenter's dictionary (jieba's)
# What is loaded now lives as long as the worker: kept out of every later garbage collection,
# which then scans only what the reports make (16 weekly reports of the benchmark's year:
# 39.2 -> 37.8 s, ~3.5 %, every one of five alternated pairs faster); in a fork server, it also
# keeps the collector from writing to the shared pages.
gc.collect()
gc.freeze()
