"""Tests of gkeras.ops (a package so its module names do not clash with tests/*.py)."""
