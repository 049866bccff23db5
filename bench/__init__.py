"""Benchmarks: python -m bench {quality,speed,...}."""
