-- One row per operating strategy of the strategies input (date = the local date it started), unpartitioned.
select
    date,
    name,
    description,
    file_path,
    line
from raw.input_strategies
