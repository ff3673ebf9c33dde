"""The one exception type the command line turns into a clear message and exit code 2."""

from __future__ import annotations


class BillingError(Exception):
    """A problem the user can fix: says what went wrong and what to do next."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  What to do: {self.hint}" if self.hint else self.message
