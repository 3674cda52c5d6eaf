r"""Synthetic sequence-to-sequence tasks, generated deterministically from a seed, trainable in seconds.

- **Reversal**: ``"abcde" -> "edcba"``. The output's first token depends on the input's *last*, so
  the whole input must survive in the encoder's state; the length is a knob (``min_len``, ``max_len``)
  for the bottleneck experiment of Cho et al. (2014) and Bahdanau et al. (2015): a fixed-size context
  vector forgets long inputs, attention does not.
- **Dates**: many human formats -> ISO 8601, e.g. ``"3rd of March 2021"``, ``"03/03/21"``,
  ``"March 3, 2021"`` -> ``"2021-03-03"``. All numeric formats are *day first* (``dd/mm/yy``) so that
  every input has exactly one answer; two-digit years ``50..99`` mean 1950..1999 and ``00..49`` mean
  2000..2049 (the dates range over 1950..2049). ``formats=`` picks which formats occur.

Every pair is character level. :func:`make_task` returns train / validation / test splits whose
sources do not overlap, and the vocabularies (fixed by the task, not by the sample).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from .data import Vocab

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
FIRST_DAY, LAST_DAY = dt.date(1950, 1, 1), dt.date(2049, 12, 31)


def ordinal(n: int) -> str:
    """``1 -> "1st"``, ``2 -> "2nd"``, ``3 -> "3rd"``, ``11 -> "11th"``, ``22 -> "22nd"``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# Each format renders a date; the comment shows 3 March 2021.
DATE_FORMATS: dict[str, Callable[[dt.date], str]] = {
    "ordinal": lambda d: f"{ordinal(d.day)} of {MONTHS[d.month - 1]} {d.year}",  # 3rd of March 2021
    "month_day": lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",  # March 3, 2021
    "day_month": lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",  # 3 March 2021
    "day_mon": lambda d: f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}",  # 3 Mar 2021
    "mon_day": lambda d: f"{MONTHS[d.month - 1][:3]} {d.day}, {d.year}",  # Mar 3, 2021
    "weekday": lambda d: f"{WEEKDAYS[d.weekday()][:3]}, {d.day} {MONTHS[d.month - 1][:3]} {d.year}",  # Wed, 3 Mar 2021
    "lower_yy": lambda d: f"{d.day} {MONTHS[d.month - 1].lower()} {d.year % 100:02d}",  # 3 march 21
    "dd/mm/yy": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}",  # 03/03/21
    "d/m/yyyy": lambda d: f"{d.day}/{d.month}/{d.year}",  # 3/3/2021
    "dd.mm.yyyy": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",  # 03.03.2021
    "yyyy/mm/dd": lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",  # 2021/03/03
}


def _date_source_chars() -> str:
    """Every character any format can write (all months, weekdays, digits, punctuation)."""
    chars = set("0123456789")
    for m in range(1, 13):
        for day in (1, 2, 3, 4, 11, 22):  # every ordinal suffix
            d = dt.date(2021, m, day)
            for w in range(7):
                for fmt in DATE_FORMATS.values():
                    chars.update(fmt(d + dt.timedelta(days=w)))
    return "".join(sorted(chars))


DATE_SOURCE_CHARS = _date_source_chars()
DATE_TARGET_CHARS = "-0123456789"


def reverse_pair(rng: random.Random, min_len: int, max_len: int, alphabet: str) -> tuple[str, str]:
    """One reversal pair with a length drawn uniformly from ``min_len..max_len``."""
    s = "".join(rng.choice(alphabet) for _ in range(rng.randint(min_len, max_len)))
    return s, s[::-1]


def date_pair(rng: random.Random, formats: list[str]) -> tuple[str, str]:
    """One ``(human date, ISO date)`` pair: a day uniform in 1950..2049, a format uniform in ``formats``."""
    d = FIRST_DAY + dt.timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
    return DATE_FORMATS[rng.choice(formats)](d), d.isoformat()


@dataclass
class Task:
    """A generated task: three splits of ``(source, target)`` text pairs and the two vocabularies.

    ``max_src_len`` / ``max_tgt_len``: the longest source / target (in tokens) the task can produce.
    """

    name: str
    train: list[tuple[str, str]]
    val: list[tuple[str, str]]
    test: list[tuple[str, str]]
    src_vocab: Vocab
    tgt_vocab: Vocab
    max_src_len: int
    max_tgt_len: int

    def __repr__(self) -> str:
        example = next((split[0] for split in (self.train, self.val, self.test) if split), None)
        shown = f", e.g. {example[0]!r} -> {example[1]!r}" if example else ""
        sizes = f"{len(self.train)} train / {len(self.val)} val / {len(self.test)} test pairs"
        return f"Task({self.name!r}: {sizes}{shown})"


def _distinct_pairs(draw: Callable[[], tuple[str, str]], n: int, what: str) -> list[tuple[str, str]]:
    """``n`` pairs with distinct sources, drawn in order (so the result depends only on the seed)."""
    seen, pairs = set(), []
    for _ in range(20 * n + 1000):
        if len(pairs) == n:
            return pairs
        s, t = draw()
        if s not in seen:
            seen.add(s)
            pairs.append((s, t))
    if len(pairs) == n:
        return pairs
    raise ValueError(
        f"could only generate {len(pairs)} distinct {what} inputs, but {n} were asked for; "
        f"ask for fewer pairs or allow longer inputs."
    )


def make_task(
    name: str,
    n_train: int = 5000,
    n_val: int = 500,
    n_test: int = 500,
    seed: int = 0,
    *,
    min_len: int = 3,
    max_len: int = 10,
    alphabet: str = "abcdefghijklmnopqrstuvwxyz",
    formats: list[str] | None = None,
) -> Task:
    """Generate the task ``name`` (``"reversal"`` or ``"dates"``), the same for the same arguments.

    Args:
        n_train, n_val, n_test: split sizes; no source occurs in two splits.
        seed: the only source of randomness.
        min_len, max_len, alphabet: reversal only: source lengths (uniform) and the letters used.
        formats: dates only: names from :data:`DATE_FORMATS` (default: all of them).
    """
    for arg, value in (("n_train", n_train), ("n_val", n_val), ("n_test", n_test), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(
                f"{arg} should be of type int, got {type(value).__name__} {value!r}"
                + (" (the task is generated from the seed alone)." if arg == "seed" else ".")
            )
    if min(n_train, n_val, n_test) < 0 or n_train + n_val + n_test == 0:
        raise ValueError(f"expected non-negative split sizes, not all zero, got {n_train}, {n_val}, {n_test}.")
    rng = random.Random(seed)
    if name == "reversal":
        for arg, value in (("min_len", min_len), ("max_len", max_len)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{arg} should be of type int, got {type(value).__name__} {value!r}.")
        if not isinstance(alphabet, str):
            raise ValueError(f"expected the alphabet as a str of characters, e.g. 'abc', got {alphabet!r}.")
        if not 1 <= min_len <= max_len:
            raise ValueError(f"expected 1 <= min_len <= max_len, got min_len={min_len}, max_len={max_len}.")
        if len(set(alphabet)) < 2:
            raise ValueError(f"expected an alphabet of at least 2 distinct characters, got {alphabet!r}.")
        alphabet = "".join(sorted(set(alphabet)))
        draw = lambda: reverse_pair(rng, min_len, max_len, alphabet)  # noqa: E731
        src_vocab = tgt_vocab = Vocab(alphabet)
        max_src = max_tgt = max_len
    elif name == "dates":
        if isinstance(formats, str):
            raise ValueError(f"expected a list of date format names, e.g. [{formats!r}], got the str {formats!r}.")
        formats = list(DATE_FORMATS) if formats is None else list(formats)
        bad = [f for f in formats if not isinstance(f, str) or f not in DATE_FORMATS]
        if bad or not formats:
            raise ValueError(f"expected date formats among {list(DATE_FORMATS)}, got {formats}.")
        draw = lambda: date_pair(rng, formats)  # noqa: E731
        src_vocab, tgt_vocab = Vocab(DATE_SOURCE_CHARS), Vocab(DATE_TARGET_CHARS)
        year = [dt.date(2049, 1, 1) + dt.timedelta(days=k) for k in range(365)]  # every month, day, weekday
        max_src, max_tgt = max(len(DATE_FORMATS[f](d)) for f in formats for d in year), 10
    else:
        raise ValueError(f"expected task 'reversal' or 'dates', got {name!r}.")
    pairs = _distinct_pairs(draw, n_train + n_val + n_test, name)
    return Task(
        name,
        pairs[:n_train],
        pairs[n_train : n_train + n_val],
        pairs[n_train + n_val :],
        src_vocab,
        tgt_vocab,
        max_src,
        max_tgt,
    )


__all__ = ["DATE_FORMATS", "MONTHS", "WEEKDAYS", "ordinal", "reverse_pair", "date_pair", "Task", "make_task"]
