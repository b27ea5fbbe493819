# English dates as the pages always showed them ("4 Dec 2026 17:22"); numbers as Django's English.
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATETIME_FORMAT = "j M H:i"
# Ours (syncapp/templatetags/moments.py): the sync log's seconds, a weekday with a time.
SECONDS_FORMAT = "j M H:i:s"
DATE_SECONDS_FORMAT = "j M Y H:i:s"
WEEKDAY_TIME_FORMAT = "D H:i"
LONG_DATETIME_FORMAT = "j F Y H:i"
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
