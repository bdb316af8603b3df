"""Checking a cron schedule the way users write it, before anything is deployed.

``settings.schedule`` becomes a Prefect CronSchedule at deploy time; a mistake found
only then (``61 * * * *``, ``*/0 * * * *``) costs a user a failed deploy. Here each of
the five fields is checked for real, with a message that says which field is wrong.
"""

from __future__ import annotations

import re

__all__ = ["cron_problem"]


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: (name, lowest, highest, names for the values from ``lowest`` on)
_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, tuple("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())),
    ("day of week", 0, 7, tuple("SUN MON TUE WED THU FRI SAT".split())),
)
_CRON_NICKNAMES = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
#: the most days each month can have (February 29 comes every four years)
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_DIGITS = re.compile(r"[0-9]{1,4}")


def cron_problem(expression: str) -> str | None:
    """Why ``expression`` is not a schedule Prefect accepts, in words; None when it is fine.

    Five fields (minute hour day-of-month month day-of-week), each ``*``, a value, a
    range ``a-b`` with a <= b, any of them with a step ``/n`` (n >= 1), or a list of
    those; month and weekday names (JAN-DEC, SUN-SAT); ``?`` alone for the day of month
    or of week; or one of @hourly, @daily, @midnight, @weekly, @monthly, @yearly,
    @annually. The expression must be able to fire (``0 0 31 2 *`` never does).
    tests/test_config_hostile.py checks that whatever passes, Prefect accepts.
    """
    odd_space = next((ch for ch in expression if ch.isspace() and ch not in " \t"), None)
    if odd_space is not None:
        return f"{_short(expression)!r}: separate the fields with plain spaces, not {odd_space!r}"
    fields = expression.split()
    if len(fields) == 1 and fields[0].lower() in _CRON_NICKNAMES:
        return None
    if len(fields) != 5:
        return (
            f"{_short(expression)!r} is not a cron expression of 5 fields "
            "(minute hour day-of-month month day-of-week, e.g. '*/30 * * * *')"
        )
    allowed: list[set[int]] = []
    for text, (name, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        values, problem = _cron_field(text, name, low, high, names)
        if problem:
            return f"{_short(expression)!r}: {name} {_short(text, 20)!r}: {problem}"
        allowed.append(values)
    days, months = allowed[2], allowed[3]
    if fields[4] in ("*", "?") and min(days) > max(_MONTH_DAYS[m - 1] for m in months):
        return (
            f"{_short(expression)!r} never fires: no month of the month field has a day "
            f"{min(days)} or later"
        )
    return None


def _cron_field(
    text: str, name: str, low: int, high: int, names: tuple[str, ...]
) -> tuple[set[int], str | None]:
    if text == "?":
        if name in ("day of month", "day of week"):
            return set(range(low, high + 1)), None
        return set(), "'?' is only allowed for the day of month or the day of week"
    span = high - low + 1
    values: set[int] = set()

    def value(token: str) -> tuple[int | None, str | None]:
        if _DIGITS.fullmatch(token):
            number = int(token)
        elif token.upper() in names:
            number = low + names.index(token.upper())
        else:
            hint = f" or a name ({names[0]}-{names[-1]})" if names else ""
            return None, f"{_short(token, 20)!r} is not a number{hint}"
        if not low <= number <= high:
            return None, f"{number} is outside {low}-{high}"
        return number, None

    for part in text.split(","):
        if not part:
            return set(), "empty item in a list (two commas, or a comma at an end)"
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not _DIGITS.fullmatch(step_text):
                return set(), f"step {_short(step_text, 20)!r} is not a whole number"
            step = int(step_text)
            if not 1 <= step <= span:
                return set(), f"step {step} is outside 1-{span}"
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            first, problem = value(a)
            if problem:
                return set(), problem
            last, problem = value(b)
            if problem:
                return set(), problem
            if first > last:
                return set(), f"range {a}-{b} runs backwards (write the low end first)"
        else:
            first, problem = value(base)
            if problem:
                return set(), problem
            last = high if slash else first  # "5/15" means "5-59/15", as in Prefect
        values.update(range(first, last + 1, step))
    if name == "day of week":
        values = {v % 7 for v in values}
    return values, None
