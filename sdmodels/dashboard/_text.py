"""Wording shared by the store and the views: units, numbers and explanations as a reader sees
them, and HTML escaping of every text a user or a model file supplies."""

from __future__ import annotations

import html
import re

__all__ = [
    "esc",
    "fmt",
    "fmt_card",
    "fmt_value",
    "inline_html",
    "is_share",
    "kpi_sentence",
    "number_format",
    "units_label",
]

_SHARE = re.compile(r"\b(rate|share|fraction|proportion|percent|percentage|margin)\b", re.I)


def esc(text: object) -> str:
    """Text made safe to place in HTML (element content or a quoted attribute).

    Examples
    --------
    >>> esc('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    """
    return html.escape(str(text), quote=True)


def inline_html(text: str) -> str:
    """Escaped text with ``**bold**`` and ```code``` spans as HTML (for status lines).

    Examples
    --------
    >>> inline_html("**16 samples** in `a<b>.toml`")
    '<b>16 samples</b> in <code>a&lt;b&gt;.toml</code>'
    """
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", esc(text))
    return re.sub(r"`(.+?)`", r"<code>\1</code>", out)


def units_label(units: str | None) -> str:
    """Units for an axis or a label, Vensim's ``dmnl`` spelled out.

    Examples
    --------
    >>> units_label("Dmnl"), units_label(""), units_label("people/Year")
    ('dimensionless', 'dimensionless', 'people/Year')
    """
    if not units or units.strip().lower() in ("dmnl", "dimensionless", "1"):
        return "dimensionless"
    return units


def per_year(units: str | None) -> bool:
    """True for a fraction a year (Vensim ``1/Year``), read as a percentage a year.

    Examples
    --------
    >>> per_year("1/Year"), per_year("1 / years"), per_year("Patients/Year")
    (True, True, False)
    """
    return (units or "").replace(" ", "").lower() in ("1/year", "1/years", "/year")


def is_share(name: str, units: str | None) -> bool:
    """True for an output shown as a percentage: a dimensionless rate or share, or a
    fraction a year (``1/Year``: growth, leaver and attrition rates).

    Examples
    --------
    >>> is_share("Vacancy Rate", "Dmnl"), is_share("Productivity Index", "Dmnl")
    (True, False)
    >>> is_share("Real Funding Growth", "1/Year")
    True
    """
    return per_year(units) or (units_label(units) == "dimensionless" and bool(_SHARE.search(name)))


def percent_unit(name: str, units: str | None) -> str:
    """Units of an output for a label: ``%`` for a share, ``%/year`` for a fraction a year,
    otherwise its own units.

    Examples
    --------
    >>> percent_unit("Vacancy Rate", "Dmnl"), percent_unit("Real Funding Growth", "1/Year")
    ('%', '%/year')
    >>> percent_unit("Waiting List", "Patients")
    'Patients'
    """
    if not is_share(name, units):
        return units_label(units)
    return "%/year" if per_year(units) else "%"


def fmt(value: float) -> str:
    """A number for a card or a table: thousands separated, three significant figures.

    Examples
    --------
    >>> fmt(7212345.0), fmt(123.456), fmt(1.23456), fmt(-0.01234)
    ('7,212,345', '123.5', '1.23', '-0.0123')
    """
    mag = abs(value)
    if mag >= 1e4:
        return f"{value:,.0f}"
    if mag >= 100:
        return f"{value:,.1f}"
    if mag >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def fmt_value(value: float, name: str, units: str | None, *, signed: bool = False) -> str:
    """A value with its units: percentages for rates and shares.

    Examples
    --------
    >>> fmt_value(0.105, "Vacancy Rate", "Dmnl")
    '10.5 %'
    >>> fmt_value(-0.004, "Vacancy Rate", "Dmnl", signed=True)
    '-0.4 points'
    >>> fmt_value(7.2e6, "Waiting List", "Patients")
    '7,200,000 Patients'
    >>> fmt_value(0.03, "Real Funding Growth", "1/Year")
    '3.0 %/year'
    """
    if is_share(name, units):
        rate = "/year" if per_year(units) else ""
        if signed:
            return f"{100 * value:+.1f} points{rate}".replace("+", "" if value < 0 else "+")
        return f"{100 * value:.1f} %{rate}"
    text = fmt(value)
    if signed and value > 0:
        text = "+" + text
    label = units_label(units)
    return text if label == "dimensionless" else f"{text} {label}"


def fmt_card(value: float, name: str, units: str | None) -> tuple[str, str]:
    """A KPI card's number and units, millions and billions written short so that the
    number and its units stay on one line of a card (``12.98m`` ``Patients``).

    Examples
    --------
    >>> fmt_card(7.4123e6, "Waiting List", "Patients")
    ('7.412m', 'Patients')
    >>> fmt_card(-2.5e9, "Cost", "GBP"), fmt_card(71234.0, "Nurses", "Person")
    (('-2.5bn', 'GBP'), ('71,234', 'Person'))
    >>> fmt_card(0.105, "Vacancy Rate", "Dmnl")
    ('10.5', '%')
    >>> fmt_card(0.0115, "Nurse Leaver Rate", "1/Year")
    ('1.1', '%/year')
    """
    mag = abs(value)
    if is_share(name, units) or mag < 1e6:
        number, _, unit = fmt_value(value, name, units).partition(" ")
        return number, unit
    scale, suffix = (1e9, "bn") if mag >= 1e9 else (1e6, "m")
    label = units_label(units)
    # four figures: a change of ten thousand patients in a 13 million list still shows
    return f"{value / scale:.4g}{suffix}", "" if label == "dimensionless" else label


def number_format(name: str, units: str | None) -> str:
    """A Bokeh tooltip number format for the values of an output."""
    return "{0.0%}" if is_share(name, units) else "{0,0.[000]}"


def kpi_sentence(name: str, units: str | None, doc: str, *, value: float, delta: float,
                 year: float, better: bool | None, direction: int | None) -> str:
    """One sentence under a KPI card: what the output is, and what the change means.

    Examples
    --------
    >>> kpi_sentence("Funding Gap", "GBPbn/Year", "Funding needed a year.", value=-0.5,
    ...              delta=-1.0, year=2035, better=True, direction=-1)  # doctest: +ELLIPSIS
    'Funding needed a year. Below zero: ... Lower is better: ... 2035.'
    """
    first = doc.split(". ")[0].strip().rstrip(".") if doc else name
    if len(first) > 90:
        first = first[:90].rsplit(" ", 1)[0] + " …"
    parts = [first + ("" if first.endswith("…") else ".")]
    if value < 0 and "gap" in name.lower():
        parts.append("Below zero: funding exceeds what is needed (a surplus, not a gap).")
    if direction is not None:
        good = "Higher" if direction > 0 else "Lower"
        if better is None:
            verdict = "the same as the baseline"
        else:
            verdict = ("better than the baseline" if better else "worse than the baseline")
        parts.append(f"{good} is better: your settings are {verdict} in {year:.0f}.")
    elif abs(delta) > 0:
        parts.append(f"Your settings change it by {fmt_value(delta, name, units, signed=True)}"
                     f" in {year:.0f}.")
    return " ".join(parts)
