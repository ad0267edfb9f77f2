-- One row per (competitor, period, metric) of the competitors input, unpartitioned.
select
    competitor,
    period,
    period_grain,
    period_start,
    metric,
    value,
    file_path,
    line
from raw.input_competitors
