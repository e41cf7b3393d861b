"""Benchmarks run by `make bench`, each measured against a budget or a naive baseline."""
