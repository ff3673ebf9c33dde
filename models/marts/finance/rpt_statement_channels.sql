{#- One row per statement (organization and month): the sales channel the statement names. AWS
    Marketplace when a Marketplace subscription of the organization overlaps the month (its
    reconciliation has an account); else the channel of its licences in force during the month
    (a cloud marketplace before an offline contract; trials do not count); else direct. -#}
with

statements as (

    select * from {{ ref('fct_statements') }}

),

reconciliation as (

    select * from {{ ref('rpt_marketplace_reconciliation') }}

),

licenses as (

    select * from {{ ref('dim_licenses') }}

),

licence_channels as (

    select
        statements.organization_id,
        statements.statement_month,
        min(licenses.channel) filter (where licenses.channel like '%!_marketplace' escape '!')
            as marketplace_channel,
        bool_or(licenses.channel = 'offline_contract') as has_offline_contract
    from statements
    inner join licenses
        on statements.organization_id = licenses.organization_id
        and licenses.start_date < statements.statement_month + interval 1 month
        and statements.statement_month < licenses.end_date
    group by statements.organization_id, statements.statement_month

),

final as (

    select
        statements.statement_month,
        statements.organization_id,
        case
            when reconciliation.customer_aws_account_id is not null then 'aws_marketplace'
            when licence_channels.marketplace_channel is not null
                then licence_channels.marketplace_channel
            when licence_channels.has_offline_contract then 'offline_contract'
            else 'direct'
        end as sales_channel,
        reconciliation.customer_aws_account_id
    from statements
    left join reconciliation
        on statements.organization_id = reconciliation.organization_id
        and statements.statement_month = reconciliation.usage_month
    left join licence_channels
        on statements.organization_id = licence_channels.organization_id
        and statements.statement_month = licence_channels.statement_month

)

select * from final
