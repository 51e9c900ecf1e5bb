# English formats for the English pages: the weekday on every date, as in Japanese
# (Tue, Jan. 5, 2027).
DATE_FORMAT = "D, N j, Y"
DATETIME_FORMAT = "D, N j, Y, H:i"
SHORT_DATE_FORMAT = "D, Y/m/d"
SHORT_DATETIME_FORMAT = "D, Y/m/d H:i"
