# As a Dane writes them: "4. dec. 2026 17.22" is the old norm, but e-conomic and most Danish
# software write times with a colon, so we do too; counts and amounts "1.234,50".
DATE_FORMAT = "j. M Y"
DATETIME_FORMAT = "j. M Y H:i"
SHORT_DATETIME_FORMAT = "j. M H:i"
SECONDS_FORMAT = "j. M H:i:s"
DATE_SECONDS_FORMAT = "j. M Y H:i:s"
WEEKDAY_TIME_FORMAT = "D H:i"
LONG_DATETIME_FORMAT = "j. F Y H:i"
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
