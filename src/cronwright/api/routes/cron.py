"""``POST /cron/validate``: try an expression before saving it."""

from __future__ import annotations

from fastapi import APIRouter

from cronwright import errors
from cronwright.api.auth import Viewer
from cronwright.api.deps import ServiceDep
from cronwright.api.openapi import problems
from cronwright.api.paths import API_PREFIX
from cronwright.api.routes.schedules import preview_out
from cronwright.api.schemas import cron as schemas

router = APIRouter(prefix=f"{API_PREFIX}/cron", tags=["cron"])


@router.post("/validate", operation_id="validateCronExpression", responses=problems(400, 401))
def validate_cron(
    caller: Viewer, body: schemas.CronValidateRequest, service: ServiceDep
) -> schemas.CronValidateResponse:
    """Always 200 for a well-formed request: `valid` says whether the expression (in the zone)
    can be saved; if not, `error` says where and why (the column of the bad token)."""
    try:
        found = service.schedules.preview_expression(
            body.expression,
            timezone=body.timezone,
            count=body.count,
            dst_gap=body.dst_gap,
            dst_fold=body.dst_fold,
        )
    except errors.InvalidInput as exc:
        cause = exc.__cause__
        syntax = cause if isinstance(cause, errors.CronSyntaxError) else None
        return schemas.CronValidateResponse(
            valid=False,
            expression=body.expression,
            timezone=body.timezone,
            error=schemas.CronError(
                field=exc.field,
                message=exc.message,
                cron_field=syntax.field if syntax else None,
                column=syntax.column if syntax else None,
                token=syntax.token if syntax else None,
                reason=syntax.reason if syntax else None,
            ),
        )
    out = preview_out(found)
    return schemas.CronValidateResponse(
        valid=True,
        expression=body.expression,
        description=out.description,
        timezone=out.timezone,
        fires=out.fires,
    )
