{#- One row per journal line of the month being closed (stg_control__run_context), SPEC 12.3:
    double-entry lines dated the month's last day, two per entry (one debit, one credit, the
    same amount), posted to the accounts of the seed gl_accounts by role.
    - usage: per organization and invoicer, the month's usage lines: debit the receivable of
      whoever invoices them (`receivable_direct` for AutoMQ, `receivable_<marketplace>`),
      credit usage_revenue;
    - licence_invoiced: per subscription line: debit the receivable of the licence's invoicer,
      credit deferred_revenue;
    - licence_recognised: per licence, what int_deferred_revenue_rolled recognises: debit
      deferred_revenue, credit subscription_revenue;
    - correction: per organization, corrected month, invoicer and licence (null for usage), the
      adjustment lines, posted as the corrected kind.
    A negative amount swaps the sides; an entry of amount 0 is not written. entry_id numbers
    the entries in (source, organization_id, reference) order. -#}
with

close_month as (

    select context.close_month from {{ ref('stg_control__run_context') }} as context

),

statement_lines as (

    select statement_lines.*
    from {{ ref('int_statement_lines_invoiced') }} as statement_lines
    inner join close_month on statement_lines.statement_month = close_month.close_month

),

accounts as (

    select * from {{ ref('stg_billing_config__gl_accounts') }}

),

usage_entries as (

    select
        1 as source_rank,
        cast('usage' as varchar(32)) as source,  -- noqa: RF04
        statement_lines.organization_id,
        statement_lines.invoiced_by,
        cast(null as date) as adjusted_month,
        cast(null as varchar(256)) as license_id,
        sum(statement_lines.amount) as amount
    from statement_lines
    where statement_lines.line_type = 'usage'
    group by statement_lines.organization_id, statement_lines.invoiced_by

),

licence_invoiced_entries as (

    select
        2 as source_rank,
        cast('licence_invoiced' as varchar(32)) as source,  -- noqa: RF04
        statement_lines.organization_id,
        statement_lines.invoiced_by,
        cast(null as date) as adjusted_month,
        statement_lines.license_id,
        statement_lines.amount
    from statement_lines
    where statement_lines.line_type = 'subscription'

),

recognised_entries as (

    select
        3 as source_rank,
        cast('licence_recognised' as varchar(32)) as source,  -- noqa: RF04
        rolled.organization_id,
        cast(null as varchar(32)) as invoiced_by,
        cast(null as date) as adjusted_month,
        rolled.license_id,
        rolled.recognised_amount as amount
    from {{ ref('int_deferred_revenue_rolled') }} as rolled

),

correction_entries as (

    select
        4 as source_rank,
        cast('correction' as varchar(32)) as source,  -- noqa: RF04
        statement_lines.organization_id,
        statement_lines.invoiced_by,
        statement_lines.adjusted_month,
        statement_lines.license_id,
        sum(statement_lines.amount) as amount
    from statement_lines
    where statement_lines.line_type = 'adjustment'
    group by
        statement_lines.organization_id,
        statement_lines.invoiced_by,
        statement_lines.adjusted_month,
        statement_lines.license_id

),

entries as (

    select
        usage_entries.source_rank,
        usage_entries.source,
        usage_entries.organization_id,
        usage_entries.invoiced_by,
        usage_entries.adjusted_month,
        usage_entries.license_id,
        usage_entries.amount
    from usage_entries
    union all
    select
        licence_invoiced_entries.source_rank,
        licence_invoiced_entries.source,
        licence_invoiced_entries.organization_id,
        licence_invoiced_entries.invoiced_by,
        licence_invoiced_entries.adjusted_month,
        licence_invoiced_entries.license_id,
        licence_invoiced_entries.amount
    from licence_invoiced_entries
    union all
    select
        recognised_entries.source_rank,
        recognised_entries.source,
        recognised_entries.organization_id,
        recognised_entries.invoiced_by,
        recognised_entries.adjusted_month,
        recognised_entries.license_id,
        recognised_entries.amount
    from recognised_entries
    union all
    select
        correction_entries.source_rank,
        correction_entries.source,
        correction_entries.organization_id,
        correction_entries.invoiced_by,
        correction_entries.adjusted_month,
        correction_entries.license_id,
        correction_entries.amount
    from correction_entries

),

roled as (

    select
        entries.*,
        case
            when entries.source = 'licence_recognised' then 'deferred_revenue'
            when entries.invoiced_by = 'automq' then 'receivable_direct'
            else 'receivable_' || entries.invoiced_by
        end as debit_role,
        case
            when entries.source = 'licence_recognised' then 'subscription_revenue'
            when entries.license_id is not null then 'deferred_revenue'
            else 'usage_revenue'
        end as credit_role,
        case
            when entries.adjusted_month is null then ''
            else cast(year(entries.adjusted_month) as varchar(4)) || '-'
                || lpad(cast(month(entries.adjusted_month) as varchar(2)), 2, '0')
        end as adjusted_label,
        {{ invoicer_title('entries.invoiced_by') }} as invoicer
    from entries
    where entries.amount != 0

),

numbered as (

    select
        roled.*,
        close_month.close_month,
        row_number() over (
            order by
                roled.source_rank, roled.organization_id, roled.license_id nulls first,
                roled.adjusted_month nulls first, roled.invoiced_by nulls first
        ) as entry_number
    from roled
    cross join close_month

),

described as (

    select
        numbered.*,
        'JE-' || cast(
            year(numbered.close_month) * 100 + month(numbered.close_month)
            as varchar(6)) || '-' || lpad(cast(numbered.entry_number as varchar(12)), 5, '0')
            as entry_id,
        cast(numbered.close_month + interval 1 month - interval 1 day as date) as entry_date,
        coalesce(numbered.license_id, numbered.organization_id) as reference,
        case numbered.source
            when 'usage' then 'Usage charges, invoiced by ' || numbered.invoicer
            when 'licence_invoiced'
                then 'AKU licence invoiced in advance, invoiced by ' || numbered.invoicer
            when 'licence_recognised' then 'AKU licence revenue recognised'
            else 'Correction of ' || numbered.adjusted_label || ' ('
                || case when numbered.license_id is null then 'usage' else 'licence' end
                || '), invoiced by ' || numbered.invoicer
        end as memo
    from numbered

),

sides as (

    select
        described.entry_id,
        described.entry_date,
        1 as side_rank,
        case when described.amount > 0 then described.debit_role else described.credit_role end
            as account_role,
        abs(described.amount) as debit,
        cast(0 as decimal(38, 2)) as credit,
        described.organization_id,
        described.source,
        described.reference,
        described.memo
    from described
    union all
    select
        described.entry_id,
        described.entry_date,
        2 as side_rank,
        case when described.amount > 0 then described.credit_role else described.debit_role end
            as account_role,
        cast(0 as decimal(38, 2)) as debit,
        abs(described.amount) as credit,
        described.organization_id,
        described.source,
        described.reference,
        described.memo
    from described

),

final as (

    select
        sides.entry_id,
        sides.entry_date,
        sides.side_rank,
        cast(sides.account_role as varchar(64)) as account_role,
        accounts.account_code,
        accounts.account_name,
        cast(sides.debit as decimal(38, 2)) as debit,
        cast(sides.credit as decimal(38, 2)) as credit,
        sides.organization_id,
        sides.source,
        cast(sides.reference as varchar(256)) as reference,
        cast(sides.memo as varchar(512)) as memo,
        cast('USD' as varchar(3)) as currency
    from sides
    left join accounts on sides.account_role = accounts.account_role

)

select * from final
