-- Feedback received per $bucket (day or ISO week) and kind, from the previous period's start to the period's end.
select
    cast(date_trunc($bucket, local_date) as date) as bucket_start,
    kind,
    count(*) as received
from marts.feedback_items
where local_date >= $chart_start and local_date < $period_end
group by all
order by bucket_start, kind
