"""The benchmark: measured closes against a one-query DuckDB floor (`python -m
automq_billing.bench`, `make bench`)."""
