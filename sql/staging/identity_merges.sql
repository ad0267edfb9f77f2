-- One row per account merged into a person with other accounts (staging.members), unpartitioned:
-- basis identity_map (listed in the identity_map input), email or phone (shares one with another
-- account of the person). Accounts merged away = count(*) - count(distinct person_key).
select
    person_key,
    member_key,
    identity_basis as basis,
    source,
    display_name
from staging.members
where person_key in (select person_key from staging.members group by person_key having count(*) > 1)
order by person_key, member_key
