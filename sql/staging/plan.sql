-- One row per plan item of the plan input, unpartitioned; status is done, in_progress, not_started,
-- blocked or cancelled; due is a local date.
select
    period,
    period_grain,
    period_start,
    item,
    owner,
    due,
    status,
    note,
    file_path,
    line
from raw.input_plan
