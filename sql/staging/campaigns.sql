-- One row per campaign (event / activity) of the campaigns input, unpartitioned; empty when absent.
-- start_date / end_date are local dates (both days included).
select
    campaign_id,
    name,
    type,
    theme,
    start_date,
    end_date,
    registrations,
    attendees,
    cost,
    file_path,
    line
from raw.input_campaigns
