"""Message templates (MSG-16): five from the system, up to 20 of one's own."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.security import Principal
from getmygrapher.messaging.errors import TemplateNotFound, TooManyTemplates
from getmygrapher.messaging.models import MessageTemplate
from getmygrapher.messaging.repository import MessagingRepository
from getmygrapher.messaging.schemas import TemplateIn, TemplatePatch, TemplateRead
from getmygrapher.messaging.service.sending import SYSTEM_TEMPLATES, variables_of

MAX_TEMPLATES = 20


def _read(row: MessageTemplate) -> TemplateRead:
    return TemplateRead(
        id=str(row.id),
        name=row.name,
        body=row.body,
        category=row.category,
        system=False,
        variables=variables_of(row.body),
    )


async def list_templates(session: AsyncSession, *, user: Principal) -> list[TemplateRead]:
    system = [
        TemplateRead(
            id=key,
            name=name,
            body=body,
            category=category,
            system=True,
            variables=variables_of(body),
        )
        for key, (name, category, body) in SYSTEM_TEMPLATES.items()
    ]
    own = await MessagingRepository(session).templates(user.id)
    return system + [_read(row) for row in own]


async def create_template(
    session: AsyncSession, *, user: Principal, data: TemplateIn
) -> TemplateRead:
    repo = MessagingRepository(session)
    await repo.lock_templates(user.id)
    if len(await repo.templates(user.id)) >= MAX_TEMPLATES:
        raise TooManyTemplates("At most 20 templates of your own.", limit=MAX_TEMPLATES)
    row = MessageTemplate(user_id=user.id, name=data.name, body=data.body, category=data.category)
    await repo.add(row)
    return _read(row)


async def update_template(
    session: AsyncSession, *, user: Principal, template_id: uuid.UUID, data: TemplatePatch
) -> TemplateRead:
    row = await MessagingRepository(session).template(template_id, user.id)
    if row is None:
        raise TemplateNotFound("No template of yours has this id.")
    for name in data.model_fields_set:
        value = getattr(data, name)
        if value is not None:
            setattr(row, name, value)
    await session.flush()
    return _read(row)


async def delete_template(
    session: AsyncSession, *, user: Principal, template_id: uuid.UUID
) -> None:
    row = await MessagingRepository(session).template(template_id, user.id)
    if row is None:
        raise TemplateNotFound("No template of yours has this id.")
    await session.delete(row)
    await session.flush()
