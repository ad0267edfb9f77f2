-- Accounts merged into one person across platforms (staging.identity_merges): one row per basis
-- (identity_map, email, phone) and a total row (is_total). accounts = merged accounts, persons =
-- the persons they form; accounts merged away = accounts - persons (total row).
select
    grouping(basis) = 1 as is_total,
    basis,
    count(*) as accounts,
    count(distinct person_key) as persons,
    count(distinct source) as sources
from staging.identity_merges
group by grouping sets ((basis), ())
order by is_total desc, accounts desc, basis
