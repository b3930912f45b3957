"""``POST /cron/validate``: an expression checked, described and previewed, or its error."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from cronwright import domain
from cronwright.api.schemas.common import FROM_TEXT, JSON_INTEGER, Out, Strict, clean_text
from cronwright.api.schemas.schedules import PreviewFireOut, Zone
from cronwright.service import preview, validation


class CronValidateRequest(Strict):
    expression: Annotated[
        str,
        Field(min_length=1, max_length=validation.MAX_CRON_LENGTH, examples=["0 9 * * MON-FRI"]),
        AfterValidator(clean_text),
    ]
    timezone: Zone = "UTC"
    count: Annotated[int, Field(ge=1, le=preview.MAX_PREVIEW, strict=False), JSON_INTEGER] = 5
    dst_gap: Annotated[domain.DstGapPolicy, FROM_TEXT] = domain.DstGapPolicy.AUTO
    dst_fold: Annotated[domain.DstFoldPolicy, FROM_TEXT] = domain.DstFoldPolicy.AUTO


class CronError(Out):
    field: str = Field(
        description='"cron" for the expression, "timezone" for the zone.', examples=["cron"]
    )
    message: str = Field(examples=["minute: 60 is out of range 0-59 (column 1)"])
    cron_field: str | None = Field(
        default=None, description="The cron field at fault.", examples=["minute"]
    )
    column: int | None = Field(default=None, description="1-based position of `token`.")
    token: str | None = Field(default=None, examples=["60"])
    reason: str | None = Field(default=None, examples=["60 is out of range 0-59"])


class CronValidateResponse(Out):
    valid: bool
    expression: str
    description: str | None = Field(default=None, examples=["At 09:00, Monday through Friday"])
    timezone: str
    fires: list[PreviewFireOut] = Field(default_factory=list)
    error: CronError | None = None
