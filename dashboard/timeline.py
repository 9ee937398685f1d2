"""The timeline: incidents per day (or per week over long ranges) stacked by event type (Altair),
with an interval selection that the app turns into the date filter."""

from __future__ import annotations

import altair as alt
import pandas as pd

from dashboard.mapview import EVENT_COLOURS, OTHER_COLOUR


def timeline_frame(df: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    d = df.dropna(subset=["date"])
    if d.empty:
        return pd.DataFrame(columns=["period", "event_type", "incidents"]), "day"
    span = (d["date"].max() - d["date"].min()).days
    unit = "week" if span > 180 else "day"
    period = d["date"].dt.to_period("W").dt.start_time if unit == "week" else d["date"].dt.normalize()
    out = d.assign(period=period, event_type=d["event_type"].fillna("Other")) \
        .groupby(["period", "event_type"]).size().reset_index(name="incidents")
    return out, unit


def timeline_chart(df: pd.DataFrame) -> alt.Chart:
    data, unit = timeline_frame(df)
    types = sorted(data["event_type"].unique()) if len(data) else list(EVENT_COLOURS)
    brush = alt.selection_interval(encodings=["x"], name="brush")
    return (alt.Chart(data, height=160)
            .mark_bar()
            .encode(x=alt.X(f"{'yearmonthdate' if unit == 'day' else 'yearweek'}(period):T",
                            title=f"incidents per {unit}"),
                    y=alt.Y("incidents:Q", title=None),
                    color=alt.Color("event_type:N", title="event type",
                                    scale=alt.Scale(domain=types,
                                                    range=[EVENT_COLOURS.get(t, OTHER_COLOUR) for t in types])),
                    tooltip=["period:T", "event_type:N", "incidents:Q"])
            .add_params(brush))


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
