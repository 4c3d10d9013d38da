"""Lyceum's benchmarks: ``python -m bench`` (or ``make bench``).

Performance is measured here, never as a timed test. Every figure is printed
beside a baseline measured in the same run, as a ratio, and every benchmark
records how its cost grows with the size of the data. See bench/README.md.
"""
