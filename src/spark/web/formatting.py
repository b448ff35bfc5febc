"""One way to write numbers on every page: tokens, money and durations.

Tokens get thousands separators (``12,345``); money is to the cent from $1 up (``$1,234.50``)
and to two significant digits below it (``$0.42``, ``$0.0042``, ``$0.000015``), so a cheap
generation never shows as ``$0.00``; a duration is seconds to one decimal (``2.4 s``). The chat
screen's script (``static/format.js``) follows the same rules; a browser test holds the two
equal. The functions are Jinja filters (``{{ n | tokens }}``, ``{{ cost | usd }}``,
``{{ ms | seconds }}``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from jinja2 import Environment

UNKNOWN = "unknown"


def tokens(value: int | None) -> str:
    """``12345`` → ``12,345``; None → ``—``."""
    return "—" if value is None else f"{int(value):,}"


def usd(value: Decimal | str | float | int | None) -> str:
    """Money as the pages show it (see the module docstring); None → ``unknown``."""
    if value is None:
        return UNKNOWN
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return UNKNOWN
    if not amount.is_finite():
        return UNKNOWN
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount == 0:
        return "$0.00"
    if amount >= 1:
        return f"{sign}${amount.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"
    # Two significant digits: 0.123 → 0.12, 0.0456 → 0.046, 0.5 → 0.50.
    places = max(2, -amount.adjusted() + 1)
    rounded = amount.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    if rounded < 1 and max(2, -rounded.adjusted() + 1) < places:  # 0.0999 → 0.10, not 0.100
        rounded = rounded.quantize(Decimal(1).scaleb(-max(2, -rounded.adjusted() + 1)))
    if rounded >= 1:
        return f"{sign}${rounded.quantize(Decimal('0.01')):,}"
    return f"{sign}${rounded:f}"


def seconds(milliseconds: int | float | None) -> str:
    """``2400`` → ``2.4 s``; None → ``—``."""
    if milliseconds is None:
        return "—"
    value = (Decimal(str(milliseconds)) / 1000).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{value} s"


def install_filters(environment: Environment) -> None:
    """Make the formatters Jinja filters of ``environment``."""
    environment.filters.update(tokens=tokens, usd=usd, seconds=seconds)
