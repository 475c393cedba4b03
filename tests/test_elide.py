"""Elision (mathcore/elide.py): pure functions, checked by their properties over many sizes."""
import itertools

import pytest

from mathcore.elide import choose, elide, shown_indices, shown_subset


def shown(out):
    return [i for i in out if i is not None]


def gaps_marked(out, n):
    """None exactly where shown indices skip some (and never two in a row); nothing skipped unmarked."""
    prev = -1
    for a, b in zip(out, out[1:]):
        if a is None and b is None:
            return False
    for i, x in enumerate(out):
        if x is None:
            continue
        skipped = x != prev + 1
        marked = i > 0 and out[i - 1] is None
        if skipped != marked:
            return False
        prev = x
    return (prev == n - 1) == (out[-1] is not None) if out else n == 0


CASES = [(n, room) for n in range(1, 16) for room in range(2, 14)]


@pytest.mark.parametrize("n,room", CASES)
def test_elide_without_required_is_the_usual_choice(n, room):
    out = elide(n, room)
    assert out == shown_indices(n, room)
    s = shown(out)
    assert len(s) <= room
    assert s[0] == 0 and s[-1] == n - 1
    assert s == sorted(set(s))
    assert gaps_marked(out, n)
    if n <= room:
        assert out == list(range(n))


@pytest.mark.parametrize("n,room", [(n, room) for n, room in CASES if room >= 3])
def test_elide_keeps_a_required_index(n, room):
    for k in range(n):
        out = elide(n, room, required=[k])
        s = shown(out)
        assert k in s
        assert s[0] == 0 and s[-1] == n - 1
        assert len(out) <= max(room, 5)          # first, gap, k, gap, last at the least
        assert len(s) <= room
        assert s == sorted(set(s))
        assert gaps_marked(out, n)


def test_elide_required_fills_the_room_from_the_front():
    assert elide(12, 6, required=[8]) == [0, 1, None, 8, None, 11]
    assert elide(12, 6, required=[1]) == shown_indices(12, 6)
    assert elide(10, 10, required=[3]) == list(range(10))


def test_elide_ignores_required_out_of_range():
    assert elide(12, 6, required=[-1, 40]) == shown_indices(12, 6)


def test_shown_subset_marks_each_gap():
    assert shown_subset(10, [3, 4, 7], limit=0) == [None, 3, 4, None, 7, None]
    assert shown_subset(5, [1], limit=5) == list(range(5))
    for keep in itertools.combinations(range(8), 3):
        out = shown_subset(8, keep, limit=0)
        assert shown(out) == list(keep)
        assert gaps_marked(out, 8)


@pytest.mark.parametrize("n,count", [(n, c) for n in range(1, 14) for c in range(1, 14)])
def test_choose_keeps_keep_and_the_first_others(n, count):
    keep = {n - 1}
    out = choose(n, count, keep)
    s = shown(out)
    assert n - 1 in s
    assert len(s) == max(min(count, n), len(keep))
    assert s == sorted(set(s))
    assert gaps_marked(out, n)
    others = [i for i in s if i not in keep]
    assert others == list(range(len(others)))
