import time, random
import pytest
from tests.events.test_import_110 import HEADER, write_csv, row, data_dir, english  # noqa
from fengqiao.events.importing import import_110

pytestmark = pytest.mark.django_db


def test_speed(personas, categories, tmp_path):
    rnd = random.Random(1)
    rows = [
        row(
            f"N{i}",
            f"2026-03-05 {i % 24:02d}:{i % 60:02d}:00",
            point=(f"{106.10 + rnd.random() * 0.02:.6f}", f"{37.90 + rnd.random() * 0.01:.6f}"),
        )
        for i in range(3000)
    ]
    path = write_csv(tmp_path / "big.csv", HEADER, rows)
    t = time.perf_counter()
    r = import_110(path, actor=personas.station)
    t1 = time.perf_counter() - t
    t = time.perf_counter()
    r2 = import_110(path, actor=personas.station)
    t2 = time.perf_counter() - t
    print("\nFIRST", r.counts(), f"{t1:.2f}s {r.read / t1:.0f} rows/s")
    print("AGAIN", r2.counts(), f"{t2:.2f}s")
