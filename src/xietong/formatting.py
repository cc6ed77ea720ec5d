"""How dates, times and money look to a Chinese clerk (and to an English reader).

* dates: ``2018年1月31日`` — no zero padding (``2018-01-31`` in English);
* times: local China time (UTC+8, no daylight saving), ``2018年1月31日 14:05``;
* money: 万元 with two decimals, ``1,234.50万元``.
"""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, ROUND_HALF_UP

CHINA_TZ = timezone(timedelta(hours=8), "CST")


def china_today() -> date:
    """Today in China (deadlines such as "2018年1月底前" are China dates)."""
    return datetime.now(CHINA_TZ).date()


def format_date(value: date | datetime | None, locale: str = "zh_CN") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(CHINA_TZ).date()
    if locale.startswith("zh"):
        return f"{value.year}年{value.month}月{value.day}日"
    return value.isoformat()


def format_datetime(value: datetime | None, locale: str = "zh_CN") -> str:
    if value is None:
        return ""
    local = value.astimezone(CHINA_TZ)
    return f"{format_date(local, locale)} {local:%H:%M}"


def format_wan(value: Decimal | int | str | None, locale: str = "zh_CN") -> str:
    """An amount in 万元, two decimals, rounded half up."""
    if value is None:
        return ""
    amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{amount:,.2f}万元" if locale.startswith("zh") else f"{amount:,.2f} (10k CNY)"
