-- One row per source in the raw file ledger: files loaded / failed and rows read, loaded,
-- quarantined (all loads to date).
select
    source,
    count(*) as files,
    count(*) filter (where status = 'failed') as files_failed,
    coalesce(sum(rows_read), 0) as rows_read,
    coalesce(sum(rows_loaded), 0) as rows_loaded,
    coalesce(sum(rows_quarantined), 0) as rows_quarantined
from raw.files
group by source
order by source
