"""``python -m bench``: run the benchmarks (see ``python -m bench --help``)."""

from __future__ import annotations

import sys

from bench.pages import main

if __name__ == "__main__":
    sys.exit(main())
