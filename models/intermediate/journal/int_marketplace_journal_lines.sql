{#- One row per journal line of the AWS Marketplace side of a month (SPEC 12.3, written by
    `automq-billing reconcile`): per organization and month of int_marketplace_usage_reconciled,
    - listing fees (the AWS_REV_SHARE of its billing events, negative there): debit
      marketplace_fees, credit receivable_aws_marketplace;
    - disbursements: debit cash, credit receivable_aws_marketplace;
    each rounded to cents (half away from zero), a negative amount swapping the sides, an amount
    of 0 not written; two lines per entry, dated the month's last day, entry_id
    `MJ-<YYYYMM>-<nnnnn>` numbered in (month, kind, organization) order. -#}
with

reconciled as (

    select * from {{ ref('int_marketplace_usage_reconciled') }}

),

accounts as (

    select * from {{ ref('stg_billing_config__gl_accounts') }}

),

entries as (

    select
        reconciled.usage_month,
        reconciled.organization_id,
        1 as kind_rank,
        cast('listing_fee' as varchar(32)) as source,  -- noqa: RF04
        'marketplace_fees' as debit_role,
        {{ round2('0 - reconciled.listing_fee_amount') }} as amount
    from reconciled
    union all
    select
        reconciled.usage_month,
        reconciled.organization_id,
        2 as kind_rank,
        cast('disbursement' as varchar(32)) as source,  -- noqa: RF04
        'cash' as debit_role,
        {{ round2('reconciled.disbursed_amount') }} as amount
    from reconciled

),

numbered as (

    select
        entries.*,
        'MJ-' || cast(
            year(entries.usage_month) * 100 + month(entries.usage_month)
            as varchar(6)) || '-' || lpad(
            cast(row_number() over (
                partition by entries.usage_month
                order by entries.kind_rank, entries.organization_id
            ) as varchar(12)), 5, '0'
        ) as entry_id
    from entries
    where entries.amount != 0

),

sides as (

    select
        numbered.usage_month,
        numbered.entry_id,
        1 as side_rank,
        case when numbered.amount > 0 then numbered.debit_role
            else 'receivable_aws_marketplace'
        end as account_role,
        abs(numbered.amount) as debit,
        cast(0 as decimal(38, 2)) as credit,
        numbered.organization_id,
        numbered.source
    from numbered
    union all
    select
        numbered.usage_month,
        numbered.entry_id,
        2 as side_rank,
        case when numbered.amount > 0 then 'receivable_aws_marketplace'
            else numbered.debit_role
        end as account_role,
        cast(0 as decimal(38, 2)) as debit,
        abs(numbered.amount) as credit,
        numbered.organization_id,
        numbered.source
    from numbered

),

final as (

    select
        sides.usage_month,
        sides.entry_id,
        cast(sides.usage_month + interval 1 month - interval 1 day as date) as entry_date,
        sides.side_rank,
        cast(sides.account_role as varchar(64)) as account_role,
        accounts.account_code,
        accounts.account_name,
        cast(sides.debit as decimal(38, 2)) as debit,
        cast(sides.credit as decimal(38, 2)) as credit,
        sides.organization_id,
        sides.source,
        sides.organization_id as reference,
        cast(case sides.source
            when 'listing_fee' then 'AWS Marketplace listing fee'
            else 'AWS Marketplace disbursement'
        end as varchar(128)) as memo,
        cast('USD' as varchar(3)) as currency
    from sides
    left join accounts on sides.account_role = accounts.account_role

)

select * from final
