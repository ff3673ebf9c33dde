{#- The FOCUS 1.2 charges of every month (SPEC 10), one row per charge: the rows and columns of
    int_focus_charges_described, stored for analysts and the close (which adds InvoiceId and
    x_StatementVersion, known only when it publishes a version). -#}
with

described as (

    select * from {{ ref('int_focus_charges_described') }}

),

final as (

    select
        described.BilledCost,
        described.BillingAccountId,
        described.BillingAccountName,
        described.BillingCurrency,
        described.BillingPeriodEnd,
        described.BillingPeriodStart,
        described.ChargeCategory,
        described.ChargeClass,
        described.ChargeDescription,
        described.ChargeFrequency,
        described.ChargePeriodEnd,
        described.ChargePeriodStart,
        described.CommitmentDiscountCategory,
        described.CommitmentDiscountId,
        described.CommitmentDiscountName,
        described.CommitmentDiscountQuantity,
        described.CommitmentDiscountStatus,
        described.CommitmentDiscountType,
        described.CommitmentDiscountUnit,
        described.ConsumedQuantity,
        described.ConsumedUnit,
        described.ContractedCost,
        described.ContractedUnitPrice,
        described.EffectiveCost,
        described.InvoiceIssuerName,
        described.ListCost,
        described.ListUnitPrice,
        described.PricingCategory,
        described.PricingQuantity,
        described.PricingUnit,
        described.ProviderName,
        described.PublisherName,
        described.RegionId,
        described.RegionName,
        described.ResourceId,
        described.ResourceName,
        described.ResourceType,
        described.ServiceCategory,
        described.ServiceName,
        described.ServiceSubcategory,
        described.SkuId,
        described.SkuMeter,
        described.SkuPriceDetails,
        described.SkuPriceId,
        described.SubAccountId,
        described.SubAccountName,
        described.x_LineType,
        described.x_BillingItem,
        described.x_Tier,
        described.x_ClusterTier,
        described.x_LicenseId,
        described.x_AdjustedMonth,
        described.x_RateCardVersion,
        described.x_SalesChannel
    from described

)

select * from final
