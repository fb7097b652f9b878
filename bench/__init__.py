"""`make bench`: measured figures into bench/results.json and docs/benchmarks.md.

Each module here exposes `measure() -> list[Row]`; __main__ runs them all in one process run.
"""
