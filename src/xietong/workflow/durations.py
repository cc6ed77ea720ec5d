"""ISO 8601 durations for deadlines: ``P10D``, ``P2W``, ``PT36H``, ``P1DT12H``.

Only units of fixed length are accepted (weeks, days, hours, minutes, seconds);
``P1M`` and ``P1Y`` are refused because a month or a year has no fixed length —
write ``P30D``, or use a document date field as the deadline instead.
"""
from datetime import timedelta
import re

_PATTERN = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


class DurationError(ValueError):
    pass


def parse_duration(text: str) -> timedelta:
    if not isinstance(text, str):
        raise DurationError("a duration is a string such as P10D")
    match = _PATTERN.match(text.strip())
    if not match:
        if re.match(r"^P(\d+Y)?(\d+M)?", text) and ("Y" in text.split("T")[0] or "M" in text.split("T")[0]):
            raise DurationError(f"{text!r}: months and years have no fixed length; write days, e.g. P30D")
        raise DurationError(f"{text!r} is not an ISO 8601 duration such as P10D or PT12H")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    value = timedelta(**parts)
    if value <= timedelta(0):
        raise DurationError(f"{text!r} is zero; a deadline must lie in the future")
    return value
