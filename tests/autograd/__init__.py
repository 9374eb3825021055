"""Tests of gkeras.autograd (a package so its module names stay unique)."""
