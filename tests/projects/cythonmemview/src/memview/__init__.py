"""Sums over a typed memoryview."""
