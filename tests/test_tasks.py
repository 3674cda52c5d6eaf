"""Synthetic tasks: deterministic, disjoint splits, correct answers (s2s_lab.tasks)."""

import datetime as dt

import pytest

from s2s_lab.tasks import DATE_FORMATS, make_task, ordinal


def test_ordinals():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 30, 31)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "23rd",
        "30th",
        "31st",
    ]


def test_date_formats_of_3_march_2021():
    d = dt.date(2021, 3, 3)
    shown = {name: fmt(d) for name, fmt in DATE_FORMATS.items()}
    assert shown["ordinal"] == "3rd of March 2021"
    assert shown["dd/mm/yy"] == "03/03/21"
    assert shown["month_day"] == "March 3, 2021"
    assert len(set(shown.values())) == len(shown)


def test_same_seed_same_task_other_seed_other_task():
    a, b = make_task("dates", 50, 10, 10, seed=1), make_task("dates", 50, 10, 10, seed=1)
    assert a.train == b.train and a.val == b.val and a.test == b.test
    assert make_task("dates", 50, 10, 10, seed=2).train != a.train


def test_splits_disjoint_and_answers_right():
    t = make_task("dates", 400, 100, 100, seed=0)
    sources = [s for split in (t.train, t.val, t.test) for s, _ in split]
    assert len(set(sources)) == len(sources)
    for s, y in t.train:
        d = dt.date.fromisoformat(y)
        assert 1950 <= d.year <= 2049
        assert s in {fmt(d) for fmt in DATE_FORMATS.values()}
        assert len(s) <= t.max_src_len and len(y) == t.max_tgt_len
        assert not t.src_vocab.unknown(s) and not t.tgt_vocab.unknown(y)


def test_two_digit_years_are_unambiguous():
    t = make_task("dates", 300, 0, 0, seed=0, formats=["dd/mm/yy"])
    for s, y in t.train:
        dd, mm, yy = s.split("/")
        assert y == f"{(2000 if int(yy) < 50 else 1900) + int(yy)}-{mm}-{dd}"


def test_reversal_lengths_and_alphabet():
    t = make_task("reversal", 300, 50, 50, seed=0, min_len=4, max_len=7, alphabet="abc")
    assert {len(s) for s, _ in t.train} == {4, 5, 6, 7}
    assert all(y == s[::-1] and set(s) <= set("abc") for s, y in t.train)
    assert t.src_vocab.tokens == ["a", "b", "c"] and t.max_src_len == 7


def test_bad_arguments():
    with pytest.raises(ValueError, match="'reversal' or 'dates'"):
        make_task("sorting")
    with pytest.raises(ValueError, match="min_len <= max_len"):
        make_task("reversal", min_len=5, max_len=2)
    with pytest.raises(ValueError, match="date formats"):
        make_task("dates", formats=["mm/dd/yy"])
    with pytest.raises(ValueError, match="distinct"):
        make_task("reversal", 100, 0, 0, min_len=2, max_len=2, alphabet="ab")
