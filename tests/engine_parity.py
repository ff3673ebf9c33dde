"""Comparing what two engines published (SPEC 11): the Spark tier's parity tests read the
Parquet files of a DuckDB close and a Spark close of the same landing with these."""

from __future__ import annotations

import pyarrow as pa

# what may differ between the engines' manifests (SPEC 11), and what depends on when or where
# the close ran
MANIFEST_FREE = {"closed_at", "tools", "paths", "timings", "dbt", "load", "documents", "outputs"}


def _normalised(table: pa.Table) -> pa.Table:
    """Arrow types as both engines mean them: strings, not large strings."""
    fields = [
        pa.field(f.name, pa.string() if pa.types.is_large_string(f.type) else f.type)
        for f in table.schema
    ]
    return table.cast(pa.schema(fields))


def differences(duck: pa.Table, spark: pa.Table) -> list[str]:
    duck, spark = _normalised(duck), _normalised(spark)
    if duck.schema != spark.schema:
        return [f"schema: duckdb {duck.schema} != spark {spark.schema}"]
    found = []
    if duck.num_rows != spark.num_rows:
        found.append(f"rows: duckdb {duck.num_rows} != spark {spark.num_rows}")
    for index, (a, b) in enumerate(zip(duck.to_pylist(), spark.to_pylist(), strict=False)):
        # str() keeps a decimal's scale: 1.10 and 1.1 differ
        if {k: str(v) for k, v in a.items()} != {k: str(v) for k, v in b.items()}:
            found.append(f"row {index}: duckdb {a} != spark {b}")
        if len(found) > 5:
            break
    return found
