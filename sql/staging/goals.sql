-- One row per goal (period x metric) of the team's goals input, unpartitioned; empty when the input is absent.
-- period is YYYY-MM (period_grain monthly) or YYYY-Www (weekly, ISO); period_start is its first day.
select
    period,
    period_grain,
    period_start,
    metric,
    target,
    file_path,
    line
from raw.input_goals
