-- One row per member key of the identity_map input, unpartitioned: person_key = 'person:' || the
-- person id the team gave; every member key listed for one person shares it.
select
    'person:' || person as person_key,
    member_key,
    person,
    file_path,
    line
from raw.input_identity_map
