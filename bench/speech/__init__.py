"""The speech benchmark: a synthetic test set read by Debian's synthesisers, and its scoring.

``python -m bench.speech.generate`` builds it under ``bench/results/speech/``;
``python -m bench.speech`` assesses it and prints every figure beside its baseline.
"""
