-- One row per incident of the incidents input, unpartitioned; local_date is the date opened in the
-- community's time zone.
select
    opened_at,
    cast(timezone($timezone, opened_at) as date) as local_date,
    category,
    title,
    impact,
    status,
    resolved_at,
    resolution,
    file_path,
    line
from raw.input_incidents
