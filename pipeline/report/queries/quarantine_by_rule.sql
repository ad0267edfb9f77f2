-- One row per (source, entity, rule) of the quarantine table (all loads to date).
select
    source,
    entity,
    rule,
    count(*) as rows
from raw.quarantine
group by source, entity, rule
order by rows desc, source, entity, rule
