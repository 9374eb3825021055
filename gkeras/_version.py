"""The gkeras version, kept in one place; setup.py reads this file without importing."""

__version__ = "0.1.0"
