"""Write ``endpoints.csv`` and ``baseline.csv``: the made-up frames of ``helpers.endpoint_frame()`` and
``helpers.baseline_frame()`` that R reads.

Usage (from the repository root): ``.venv/bin/python tests/stats/report/reference/write_dataset.py``.
Booleans are written as TRUE/FALSE and missing values as empty fields, which R's ``read.csv`` reads.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))  # tests/, for stats.report.helpers

from stats.report.helpers import baseline_frame, endpoint_frame  # noqa: E402


def main() -> None:
    frame = endpoint_frame()
    for column in frame.columns:
        if frame[column].dtype == bool or str(frame[column].dtype) == "boolean":
            frame[column] = frame[column].map({True: "TRUE", False: "FALSE"})
    frame.to_csv(HERE / "endpoints.csv", index=False, na_rep="")
    baseline_frame().to_csv(HERE / "baseline.csv", index=False, na_rep="")


if __name__ == "__main__":
    main()
