-- Usage lines shaped as AWS Marketplace metering dimensions (Marketplace prices are flat per
-- dimension, so each tier is its own dimension): the quantities finance compares with the
-- Marketplace daily usage feed and billed revenue report for a month.
select
    statement_month,
    organization_id,
    billing_item || coalesce('_tier' || tier, '') || coalesce('_' || cluster_tier, '')
        as dimension_key,
    unit,
    quantity,
    unit_price,
    amount
from {{ ref('fct_statement_lines') }}
where line_type = 'usage'
order by statement_month, organization_id, dimension_key
