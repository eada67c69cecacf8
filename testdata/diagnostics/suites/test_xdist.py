"""Suite behind testdata/diagnostics/xdist/ (see ../README.md): run with -n 2."""
import numpy as np
import pytest

KEPT = []


@pytest.mark.parametrize("i", range(6))
def test_case(i):
    data = np.ones((i + 1) * 8 * 2**20, dtype=np.uint8)
    if i % 3 == 0:
        KEPT.append(data)
