"""The cron engine: parse, validate, describe and evaluate cron expressions in any time zone.

>>> from datetime import datetime, UTC
>>> expr = CronExpression.parse("0 9 * * MON-FRI")
>>> expr.next(datetime(2026, 11, 27, 12, 0, tzinfo=UTC), "America/New_York").isoformat()
'2026-11-27T14:00:00+00:00'
"""

from cronwright.cron import presets
from cronwright.cron.expression import CronExpression, FireTime
from cronwright.cron.presets import PRESETS, Preset
from cronwright.cron.zones import DstFold, DstGap, DstMark
from cronwright.errors import CronSyntaxError

__all__ = ["CronExpression", "CronSyntaxError", "DstFold", "DstGap", "DstMark", "FireTime"]
__all__ += ["PRESETS", "Preset", "presets"]
