"""Per-year numbers: unique and consecutive under concurrency, and given back when the caller rolls back."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import Flask

from complaints.database import db
from complaints.numbering import next_number


def take(app: Flask, series: str, *, commit: bool = True) -> int:
    with app.app_context():
        number = next_number(db.session, series, 2031)
        if commit:
            db.session.commit()
        else:
            db.session.rollback()
        return number


def test_concurrent_callers_get_distinct_consecutive_numbers(app: Flask) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        numbers = list(pool.map(lambda _: take(app, "complaint"), range(24)))
    assert sorted(numbers) == list(range(1, 25))
    assert take(app, "notice:risk") == 1  # each series counts on its own


def test_a_rolled_back_caller_gives_its_number_back(app: Flask) -> None:
    assert take(app, "complaint", commit=False) == 1
    assert take(app, "complaint") == 1
    assert take(app, "complaint") == 2
