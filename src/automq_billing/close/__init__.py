"""The monthly close: `run_close` (orchestration in `run`, the SQL it reads in `queries`, the
files it writes in `export`, the manifest in `manifest`)."""

from automq_billing.close.run import CloseOptions, CloseResult, run_close

__all__ = ["CloseOptions", "CloseResult", "run_close"]
