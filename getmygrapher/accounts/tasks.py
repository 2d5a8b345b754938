"""Background work of the accounts area: mails and codes are sent here, after commit."""

from __future__ import annotations

import uuid

from getmygrapher.accounts import service as accounts_service
from getmygrapher.core.tasks import periodic, runtime, task, task_unit_of_work


def _ctx() -> accounts_service.AuthContext:
    return accounts_service.AuthContext.of(runtime())


@task("accounts.send_verification_email")
async def send_verification_email(user_id: uuid.UUID) -> None:
    async with task_unit_of_work() as session:
        await accounts_service.send_verification_email(session, _ctx(), user_id=user_id)


@task("accounts.send_signup_notice")
async def send_signup_notice(user_id: uuid.UUID) -> None:
    async with task_unit_of_work() as session:
        await accounts_service.send_signup_notice(session, _ctx(), user_id=user_id)


@task("accounts.send_password_reset")
async def send_password_reset(user_id: uuid.UUID) -> None:
    async with task_unit_of_work() as session:
        await accounts_service.send_password_reset(session, _ctx(), user_id=user_id)


@task("accounts.send_email_change")
async def send_email_change(user_id: uuid.UUID) -> None:
    async with task_unit_of_work() as session:
        await accounts_service.send_email_change(session, _ctx(), user_id=user_id)


@task("accounts.send_security_notice")
async def send_security_notice(user_id: uuid.UUID, kind: str, to: str | None = None) -> None:
    async with task_unit_of_work() as session:
        await accounts_service.send_security_notice(
            session, _ctx(), user_id=user_id, kind=kind, to=to
        )


@task("accounts.send_otp", max_attempts=3)
async def send_otp(otp_id: uuid.UUID) -> None:
    async with task_unit_of_work() as session:
        await accounts_service.send_otp(session, _ctx(), otp_id=otp_id)


@task("accounts.purge_account")
async def purge_account(user_id: uuid.UUID) -> None:
    async with task_unit_of_work() as session:
        await accounts_service.purge_account(session, _ctx(), user_id=user_id)


@periodic("accounts.purge_due_accounts", cron="17 * * * *")
async def purge_due_accounts() -> None:
    async with task_unit_of_work() as session:
        await accounts_service.purge_due_accounts(session, _ctx())
