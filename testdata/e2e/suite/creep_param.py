"""CREEP, parametrized: 36 cases of one test each keep OOMSUITE_CREEP_MIB
(default 12) MiB in a module-level list, none of them alone near oomlens'
32 MiB noise floor; together ~432 MiB. Not collected by default (the file
name does not match test_*.py): the creep captures name it on the command
line, before test_3_registry.py, whose last test is the victim."""

import pytest

from conftest import size_mib, touched

_STATE = []


def test_setup_small():
    assert _STATE == []


@pytest.mark.parametrize("case", range(36))
def test_state(case):
    """Keeps OOMSUITE_CREEP_MIB MiB for good: a cache keyed by the case."""
    _STATE.append(touched(size_mib("CREEP", 12), 1.0 + case))
    assert len(_STATE) == case + 1


def test_teardown_small():
    assert len(_STATE) == 36
