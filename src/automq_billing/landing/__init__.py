"""The landing zone: what landed (survey) and loading it into the warehouse (load)."""

from automq_billing.landing.hashing import sha256_file
from automq_billing.landing.load import LoadedFile, LoadResult, create_loaded_tables, load_landing
from automq_billing.landing.survey import LandedFile, LandingSurvey, landing_error, survey_landing
from automq_billing.landing.value_fit import glob_escaped

__all__ = [
    "LandedFile",
    "LandingSurvey",
    "LoadResult",
    "LoadedFile",
    "create_loaded_tables",
    "glob_escaped",
    "landing_error",
    "load_landing",
    "sha256_file",
    "survey_landing",
]
