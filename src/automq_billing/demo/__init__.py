"""Deterministic demo and benchmark landings (SPEC 1, 9.1): the data the warehouse is shown on.

- `generate_landing`: a small, realistic landing of every dataset for a span of months, telling
  the project's story as of a moment: on-time exports, late files, corrections landing after a
  month was issued, licences, and the AWS Marketplace feeds (`landing`, `timeline`).
- `generate_scale_landing`, `generate_history_landing`, `generate_late_file`: large usage-only
  landings for the benchmark, fast and in bounded memory (`scale`).

Same arguments, same bytes: no wall clock, no uuid4. Vocabulary, landing contract and prices are
read from the dbt project (`reference`), never restated here.
"""

from automq_billing.demo.files import GenerateSummary, LandedFile
from automq_billing.demo.landing import generate_landing
from automq_billing.demo.scale import (
    SCALE_CHUNK_ROWS,
    generate_history_landing,
    generate_late_file,
    generate_scale_landing,
)

__all__ = [
    "SCALE_CHUNK_ROWS",
    "GenerateSummary",
    "LandedFile",
    "generate_history_landing",
    "generate_landing",
    "generate_late_file",
    "generate_scale_landing",
]
