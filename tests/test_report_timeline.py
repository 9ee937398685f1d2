"""The report's timeline is a time axis (QA after issue 22): it was an ordinal axis of the weeks
that have events, so a week and one two years later stood side by side like two consecutive weeks."""
import re

from incidents.report import Event, report_words, timeline_svg


def _event(day: str, kind: str = "Battles") -> Event:
    row = {"date": day, "event_type": kind}
    return Event(f"EG-{day}-{kind}", [row], row)


def _bars(svg: str) -> dict[str, float]:
    """Left edge of each bar by its week (the bar's aria-label names it)."""
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r'<path aria-label="week: ([\d-]+);[^"]*"[^>]*d="M([\d.]+),', svg)}


def test_time_between_weeks_is_the_distance_between_their_bars():
    svg = timeline_svg(report_words("en"), [_event("2020-01-06"), _event("2020-01-14"), _event("2022-01-04")])
    x = _bars(svg)
    assert set(x) == {"2020-01-06", "2020-01-13", "2022-01-03"}
    one_week = x["2020-01-13"] - x["2020-01-06"]
    two_years = x["2022-01-03"] - x["2020-01-13"]
    assert one_week > 0 and 80 < two_years / one_week < 125  # ~103 weeks apart


def test_types_of_one_week_stack_in_one_bar():
    svg = timeline_svg(report_words("ar"), [_event("2020-01-06"), _event("2020-01-07", "Protests")])
    lefts = [float(m.group(1)) for m in re.finditer(r'<path aria-label="week: [^"]*"[^>]*d="M([\d.]+),', svg)]
    assert len(lefts) == 2 and lefts[0] == lefts[1]
