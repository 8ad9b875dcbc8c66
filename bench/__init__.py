"""Benchmarks (`make bench`) and the synthetic petition generator they share with the tests."""
