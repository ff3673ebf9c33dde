"""Billing warehouse for AutoMQ BYOC: usage exports and licences to monthly statements."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("automq-billing")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+source"
