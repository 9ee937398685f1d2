"""The timeline: incidents per day, week or month (by the range shown) stacked by event type (Altair),
its axis labelled once per tick in the interface language, with an interval selection that the app
turns into the date filter; and the periods the player steps through."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

from dashboard.mapview import EVENT_COLOURS, OTHER_COLOUR

FREQ = {"day": "D", "week": "W-SUN", "month": "M"}


def unit_for(span_days: int) -> str:
    """Bars per day up to two months, per week up to two years, else per month."""
    return "day" if span_days <= 62 else "week" if span_days <= 730 else "month"


def _period_start(dates: pd.Series, unit: str) -> pd.Series:
    if unit == "day":
        return dates.dt.normalize()
    return dates.dt.to_period(FREQ[unit]).dt.start_time


def timeline_frame(df: pd.DataFrame, tr=None) -> tuple[pd.DataFrame, str]:
    d = df.dropna(subset=["date"])
    if d.empty:
        return pd.DataFrame(columns=["period", "event_type", "incidents"]), "day"
    unit = unit_for((d["date"].max() - d["date"].min()).days)
    types = d["event_type"].map(tr.event_type) if tr else d["event_type"].fillna("Other")
    out = d.assign(period=_period_start(d["date"], unit), event_type=types) \
        .groupby(["period", "event_type"]).size().reset_index(name="incidents")
    return out, unit


def _axis(data: pd.DataFrame, unit: str, tr=None) -> alt.Axis:
    """One label per tick, never two ticks with one label: the tick interval follows the range
    (day, week, month or year) and the label says as much as the interval needs."""
    span = (data["period"].max() - data["period"].min()).days if len(data) else 0
    tick = "day" if span <= 14 else "week" if span <= 120 else "month" if span <= 1100 else "year"
    step = 1 if tick != "month" or span <= 400 else 3
    months = json.dumps(tr.words["months"] if tr else
                        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
                        ensure_ascii=False)
    expr = {"day": f"date(datum.value) + ' ' + {months}[month(datum.value)]",
            "week": f"date(datum.value) + ' ' + {months}[month(datum.value)]",
            "month": f"{months}[month(datum.value)] + ' ' + year(datum.value)",
            "year": "'' + year(datum.value)"}[tick]
    if tr and tr.rtl:  # Arabic-Indic digits
        expr = "'' + (" + expr + ")"
        for d, a in zip("0123456789", "٠١٢٣٤٥٦٧٨٩"):
            expr = f"replace({expr}, /{d}/g, '{a}')"
    return alt.Axis(tickCount={"interval": tick, "step": step}, labelExpr=expr, labelOverlap=True,
                    title=tr(f"per_{unit}") if tr else f"incidents per {unit}")


def timeline_chart(df: pd.DataFrame, tr=None) -> alt.Chart:
    data, unit = timeline_frame(df, tr)
    names = {k: (tr.event_type(k) if tr else k) for k in EVENT_COLOURS}
    types = sorted(data["event_type"].unique()) if len(data) else list(names.values())
    colour_of = {v: EVENT_COLOURS[k] for k, v in names.items()}
    brush = alt.selection_interval(encodings=["x"], name="brush")
    title = (lambda k: tr(k)) if tr else (lambda k: k.replace("_", " "))
    return (alt.Chart(data, height=150)
            .mark_bar()
            .encode(x=alt.X("period:T", axis=_axis(data, unit, tr)),
                    y=alt.Y("incidents:Q", title=None),
                    color=alt.Color("event_type:N", title=title("event_type"),
                                    scale=alt.Scale(domain=types, range=[colour_of.get(t, OTHER_COLOUR) for t in types])),
                    tooltip=[alt.Tooltip("period:T", title=title("period")),
                             alt.Tooltip("event_type:N", title=title("event_type")),
                             alt.Tooltip("incidents:Q", title=title("incidents"))])
            .add_params(brush))


def periods(df: pd.DataFrame) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The player's steps: (first day, last day) of each day/week/month bin from the first dated
    incident to the last (empty bins too, so time runs evenly)."""
    d = df["date"].dropna()
    if d.empty:
        return []
    unit = unit_for((d.max() - d.min()).days)
    start = _period_start(pd.Series([d.min()]), unit).iloc[0]
    end = d.max().normalize()
    out = []
    step = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1)}[unit]
    while start <= end:
        nxt = start + step
        out.append((start, nxt - pd.Timedelta(days=1)))
        start = nxt
    return out


def selected_range(event) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """(start, end) of the brushed interval from st.altair_chart's selection event, if any."""
    try:
        sel = event.selection.get("brush") if hasattr(event, "selection") else event["selection"].get("brush")
    except (AttributeError, KeyError, TypeError):
        return None
    if not sel:
        return None
    values = sel.get("period") or next(iter(sel.values()), None)
    if not values or len(values) != 2:
        return None

    def ts(v):
        return pd.to_datetime(v, unit="ms") if isinstance(v, (int, float)) else pd.to_datetime(v)

    return ts(values[0]), ts(values[1])
