"""Dates as a registry writes them: ISO, slashes, 年月日 and Japanese eras (令和7年, R7.4.1)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

# era → (first day, year 1 in the Gregorian calendar − 1)
_ERAS: dict[str, tuple[dt.date, int]] = {
    "令和": (dt.date(2019, 5, 1), 2018),
    "平成": (dt.date(1989, 1, 8), 1988),
    "昭和": (dt.date(1926, 12, 25), 1925),
}
_ERA_LETTERS = {"r": "令和", "h": "平成", "s": "昭和"}
_ISO_LIKE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_ERA_DATE = re.compile(
    r"^(令和|平成|昭和|[rhs])\s*(元|\d{1,2})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?$"
)


def parse_date(text: str) -> dt.date:
    """``YYYY-MM-DD``, ``YYYY/M/D``, ``YYYY年M月D日``, ``令和N年M月D日`` (元年), ``R7.4.1``.

    Raises ``ValueError`` if the text is not one of these or not a real date.
    """
    value = unicodedata.normalize("NFKC", text).strip().lower()
    if match := _ISO_LIKE.match(value):
        year, month, day = (int(g) for g in match.groups())
        return dt.date(year, month, day)
    if match := _ERA_DATE.match(value):
        era, year_text, month, day = match.groups()
        era = _ERA_LETTERS.get(era, era)
        start, offset = _ERAS[era]
        year = 1 if year_text == "元" else int(year_text)
        date = dt.date(offset + year, int(month), int(day))
        next_starts = [s for s, _o in _ERAS.values() if s > start]
        if year < 1 or date < start or (next_starts and date >= min(next_starts)):
            raise ValueError(f"{text} is outside the {era} era")
        return date
    raise ValueError(f"not a date: {text}")
