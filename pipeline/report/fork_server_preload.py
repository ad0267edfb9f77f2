"""The fork server's preload (pipeline/report/batch.py): :mod:`pipeline.report.worker_preload`,
failing quietly. multiprocessing's fork server ignores only an ImportError of its preloads; any
other error would end the server, and every worker start would then fail without saying why.
A failed preload is imported again by each worker's initializer, which raises the error there."""

try:
    import pipeline.report.worker_preload  # noqa: F401
except Exception:  # noqa: BLE001,S110 - raised again, with its traceback, in each worker
    pass
