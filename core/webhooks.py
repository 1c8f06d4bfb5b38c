"""WeCom (企业微信) group robots: a team's group hears of new inquiries and investors' replies.
Messages are queued in the caller's transaction (WebhookMessage) and posted by the job worker's
periodic send-webhooks, retried with the outbox's backoff, then parked. They carry the company
(its code name if confidential) and the CRM link, never a person's details: the robot's group
lives on Tencent's servers."""

import json
import logging
import urllib.request

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import case, select, update

from core.code_names import code_name
from core.extensions import db
from core.models import Lead, Team, WebhookMessage
from core.models.base import utcnow
from core.outbox import try_once
from core.urls import staff_lead_url

log = logging.getLogger(__name__)
STAFF_LANGUAGE = "zh"  # the groups are the bureau's own, in Chinese
TIMEOUT_SECONDS = 10


def url_for_team(team_id: int | None) -> str | None:
    """The team's robot, else the bureau's default (WECOM_WEBHOOK_URL); None: nobody listens."""
    team = db.session.get(Team, team_id) if team_id else None
    url = (team.wecom_webhook_url if team else None) or current_app.config.get("WECOM_WEBHOOK_URL")
    return url or None


def _company(lead: Lead) -> str:
    return code_name(lead) if lead.confidential else lead.company_name


def _announce(kind: str, lead: Lead, text: str) -> WebhookMessage | None:
    url = url_for_team(lead.team_id)
    if url is None:
        return None
    message = WebhookMessage(kind=kind, url=url, text=text, lead_id=lead.id, created_at=utcnow())
    db.session.add(message)
    return message


def new_inquiry(lead: Lead) -> WebhookMessage | None:
    db.session.flush()  # the lead's id, for its link
    with force_locale(STAFF_LANGUAGE):
        text = gettext("New inquiry: %(company)s", company=_company(lead))
    return _announce("new_inquiry", lead, f"{text}\n{staff_lead_url(lead.id)}")


def reply_received(lead: Lead) -> WebhookMessage | None:
    with force_locale(STAFF_LANGUAGE):
        text = gettext("The investor replied on %(company)s", company=_company(lead))
    return _announce("reply_received", lead, f"{text}\n{staff_lead_url(lead.id)}")


def forget(lead_ids: list[int]) -> None:
    """An anonymised lead's messages not yet posted are dropped; posted ones keep no text."""
    db.session.execute(
        update(WebhookMessage)
        .where(WebhookMessage.lead_id.in_(lead_ids))
        .values(
            text="",
            status=case((WebhookMessage.status == "queued", "parked"), else_=WebhookMessage.status),
        )
    )


def _post(message: WebhookMessage) -> None:
    """The group robot's API: JSON text message; errcode 0 is success, anything else (45009: too
    many messages this minute) a failure worth retrying."""
    if not message.url.startswith(("https://", "http://")):
        raise ValueError("a webhook URL must be http(s)")  # never file: or another scheme
    body = json.dumps({"msgtype": "text", "text": {"content": message.text}}).encode()
    request = urllib.request.Request(  # noqa: S310  (scheme checked above)
        message.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        answer = json.loads(response.read() or b"{}")
    if answer.get("errcode", 0) != 0:
        raise RuntimeError(f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}"[:500])


def attempt(message: WebhookMessage) -> bool:
    """Post one message now and record the outcome on it; the caller commits."""
    return try_once(message, _post, name="webhook")


def send_due(limit: int = 200) -> tuple[int, int]:
    """Post the messages whose time has come, one transaction each; (sent, failed). SKIP LOCKED:
    two workers never post one message twice."""
    sent = failed = 0
    for _ in range(limit):
        message = db.session.scalar(
            select(WebhookMessage)
            .where(WebhookMessage.status == "queued", WebhookMessage.next_attempt_at <= utcnow())
            .order_by(WebhookMessage.next_attempt_at, WebhookMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if message is None:
            break
        if attempt(message):
            sent += 1
        else:
            failed += 1
        db.session.commit()
    return sent, failed


def send_webhooks(limit: int = 200) -> list[str]:
    """Post due WeCom group-robot messages (new inquiries, replies), retrying failed ones."""
    sent, failed = send_due(limit)
    return [f"webhooks: {sent} sent, {failed} failed (retried later or parked)"]


def init_app(app) -> None:
    """send-webhooks joins the periodic jobs (its command and its Huey task)."""
    from core import periodic  # periodic's table imports most of core

    periodic.register(
        app, periodic.Job("send-webhooks", send_webhooks, "* * * * *", "every minute")
    )
