-- One row per person key asked for: the display name of the account whose key is the person
-- key, else of the first of its accounts.
select
    person_key,
    arg_min(display_name, (member_key <> person_key, member_key)) as display_name
from staging.members
where person_key in (select unnest($person_keys))
group by person_key
