"""CREEP, fixture-held: a session-scoped fixture `store` (a list) lives
until the session ends, so past the kill; each of the 12 tests that use it
appends OOMSUITE_CREEP_MIB (default 12) MiB to it. The memory is the
fixture's, growing with every test: no test keeps it on its own. Not
collected by default: the creep captures name it on the command line."""

import pytest

from conftest import size_mib, touched


@pytest.fixture(scope="session")
def store():
    kept = []
    yield kept
    kept.clear()


def _fill(n):
    def test(store):
        store.append(touched(size_mib("CREEP", 12), 3.0 + n))
        assert len(store) == n + 1

    test.__name__ = "test_fill_%02d" % n
    return test


# test_fill_00 ... test_fill_11: separate tests (not the cases of one), so
# that only the fixture ties them together.
for _n in range(12):
    globals()["test_fill_%02d" % _n] = _fill(_n)
del _n
