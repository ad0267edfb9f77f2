-- One row per business input (all 13, present or not), unpartitioned: whether its file was found and
-- loaded, so a report section can say plainly that its input is missing. rows = rows loaded.
with inputs(input, position) as (

    values ('goals', 1), ('campaigns', 2), ('campaign_participants', 3), ('content', 4), ('feedback', 5),
           ('costs', 6), ('conversions', 7), ('competitors', 8), ('plan', 9), ('incidents', 10),
           ('strategies', 11), ('member_profiles', 12), ('identity_map', 13)

)

select
    inputs.input,
    coalesce(f.status in ('loaded', 'failed'), false) as present,   -- failed: a file is there but unusable
    coalesce(f.status, 'absent') as status,
    f.file_path,
    f.encoding,
    coalesce(f.rows_loaded, 0) as rows,
    coalesce(f.rows_quarantined, 0) as quarantined,
    f.error,
    case when f.status = 'loaded' then f.loaded_at end as loaded_at   -- absent / failed: checked on every run
from inputs
left join raw.input_files as f on f.input = inputs.input
order by inputs.position
