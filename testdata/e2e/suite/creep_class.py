"""CREEP, class level: the 12 tests of TestCatalogue each keep
OOMSUITE_CREEP_MIB (default 12) MiB in a class attribute that outlives
them; two module-level tests around it keep nothing. Not collected by
default: the creep captures name it on the command line."""

from conftest import size_mib, touched


def test_before_small():
    assert True


class TestCatalogue:
    _cache = []

    def _keep(self, n):
        TestCatalogue._cache.append(touched(size_mib("CREEP", 12), 2.0 + n))
        assert len(TestCatalogue._cache) == n + 1

    def test_load_00(self):
        self._keep(0)

    def test_load_01(self):
        self._keep(1)

    def test_load_02(self):
        self._keep(2)

    def test_load_03(self):
        self._keep(3)

    def test_load_04(self):
        self._keep(4)

    def test_load_05(self):
        self._keep(5)

    def test_load_06(self):
        self._keep(6)

    def test_load_07(self):
        self._keep(7)

    def test_load_08(self):
        self._keep(8)

    def test_load_09(self):
        self._keep(9)

    def test_load_10(self):
        self._keep(10)

    def test_load_11(self):
        self._keep(11)


def test_after_small():
    assert len(TestCatalogue._cache) == 12
