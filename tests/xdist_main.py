"""The main module a pytest-xdist worker is given (tests/conftest.py): empty on purpose."""
