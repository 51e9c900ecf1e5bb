# Django's Japanese formats, with the weekday on every date (2027年1月5日(火)) and a space
# between the date and the time (2026年11月23日(月) 15:13). Templates show a date with
# ``|date`` (this DATE_FORMAT) or ``web``'s ``|day`` filter, not a hand-written format.
DATE_FORMAT = "Y年n月j日(D)"
DATETIME_FORMAT = "Y年n月j日(D) H:i"
SHORT_DATE_FORMAT = "Y/m/d(D)"
SHORT_DATETIME_FORMAT = "Y/m/d(D) H:i"
