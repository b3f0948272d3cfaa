-- Entitlement lines that earn nothing because no contract holds their earned date
-- (NO_CONTRACT) or no schedule in force defines their band (NO_SCHEDULE), spec/payments.md.
select
    as_of_window,
    'entitlements' as table_name,
    line_key as record_key,
    pbr_id,
    issue,
    issue_detail as detail
from {{ ref('int_entitlement_prices') }}
where issue is not null
