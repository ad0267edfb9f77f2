-- One row per cost line of the costs input, unpartitioned; date is a local date.
select
    date,
    category,
    amount,
    file_path,
    line
from raw.input_costs
