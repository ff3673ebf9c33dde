{#- One row per statement (month and organization with at least one line) with the billing
    profile in force for it (SPEC 12.1): the landed profile row with the latest valid_from on or
    before the month's last day. Rows equal in every value count once; two different rows with
    that valid_from make the statement `profile_conflict` (both quarantined: no profile is
    used), none makes it `no_profile`. A profile never stops a close. payment_terms_days: null
    (or a negative value, which SPEC 12.1 does not allow) means 30. -#}
with

statements as (

    select distinct
        statement_lines.statement_month,
        statement_lines.organization_id
    from {{ ref('int_statement_lines_invoiced') }} as statement_lines

),

profiles as (

    select distinct
        landed.organization_id,
        landed.legal_name,
        landed.billing_address,
        landed.country,
        landed.tax_id,
        landed.billing_email,
        landed.payment_terms_days,
        landed.purchase_order,
        landed.valid_from
    from {{ ref('stg_usage_exports__organization_profiles') }} as landed
    where landed.organization_id is not null and landed.valid_from is not null

),

candidates as (

    select
        statements.statement_month,
        profiles.*,
        max(profiles.valid_from) over (
            partition by statements.statement_month, statements.organization_id
        ) as latest_valid_from
    from statements
    inner join profiles
        on statements.organization_id = profiles.organization_id
        and profiles.valid_from < statements.statement_month + interval 1 month

),

latest as (

    select
        candidates.*,
        count(*) over (
            partition by candidates.statement_month, candidates.organization_id
        ) as latest_rows
    from candidates
    where candidates.valid_from = candidates.latest_valid_from

),

chosen as (

    select distinct
        latest.statement_month,
        latest.organization_id,
        latest.latest_rows,
        case when latest.latest_rows = 1 then latest.legal_name end as legal_name,
        case when latest.latest_rows = 1 then latest.billing_address end as billing_address,
        case when latest.latest_rows = 1 then latest.country end as country,
        case when latest.latest_rows = 1 then latest.tax_id end as tax_id,
        case when latest.latest_rows = 1 then latest.billing_email end as billing_email,
        case when latest.latest_rows = 1 then latest.payment_terms_days end
            as payment_terms_days,
        case when latest.latest_rows = 1 then latest.purchase_order end as purchase_order,
        latest.valid_from
    from latest

),

final as (

    select
        statements.statement_month,
        statements.organization_id,
        cast(case
            when latest.latest_rows is null then 'no_profile'
            when latest.latest_rows > 1 then 'profile_conflict'
            else 'in_force'
        end as varchar(32)) as profile_status,
        latest.legal_name,
        latest.billing_address,
        latest.country,
        latest.tax_id,
        latest.billing_email,
        cast(case
            when latest.latest_rows = 1 and latest.payment_terms_days >= 0
                then latest.payment_terms_days
            else 30
        end as integer) as payment_terms_days,
        latest.purchase_order,
        latest.valid_from
    from statements
    left join chosen as latest
        on statements.statement_month = latest.statement_month
        and statements.organization_id = latest.organization_id

)

select * from final
