"""Alerts through Prefect's own machinery: a notification block and two automations on the
Prefect server (`news-etl alerts` sets them up; core.settings.AlertSettings says which).

    news-etl: night failed              a nightly, backfill or maintenance flow run ended Failed,
                                        Crashed or TimedOut (Prefect's own state-change events)
    news-etl: source needs attention    the nightly's freshness check flagged a source
                                        (events news-etl.source.silent / news-etl.source.low)

Both send through one notification block, `news-etl-alerts`: a generic JSON webhook (the
subject, the body, and `text` for Slack/Mattermost-style receivers), a Slack or Microsoft Teams
incoming webhook, or SendGrid e-mail. The URL or API key is read from an environment variable
named in the config and stored in the block as a secret on the Prefect server: never in the
config file, in `runs`, or in what this module prints or logs. The automations run on the
server, so a failed or crashed night is reported even when the flow's own process died.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from prefect.blocks.core import Block
from prefect.blocks.notifications import (
    CustomWebhookNotificationBlock,
    MicrosoftTeamsWebhook,
    SendgridEmail,
    SlackWebhook,
)
from prefect.client.orchestration import get_client
from prefect.events.actions import SendNotification
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from pydantic import SecretStr

from core.settings import AlertSettings

BLOCK_NAME = "news-etl-alerts"
FLOWS = ("news-etl-nightly", "news-etl-backfill", "news-etl-maintenance")
NIGHT_FAILED = "news-etl: night failed"
SOURCE_FLAGGED = "news-etl: source needs attention"

NIGHT_SUBJECT = "news-etl: {{ flow.name }} run {{ flow_run.name }} {{ flow_run.state.name }}"
NIGHT_BODY = (
    "{{ flow.name }} run {{ flow_run.name }} ended {{ flow_run.state.name }}.\n"
    "Why: {{ flow_run.state.message }}\n"
    "Started {{ flow_run.start_time }}; flow run id {{ flow_run.id }}.\n"
    "Look: news-etl status, or the flow run in the Prefect UI."
)
SOURCE_SUBJECT = "news-etl: source {{ event.payload.source_id }} is {{ event.payload.status }}"
SOURCE_BODY = (
    "Source {{ event.payload.source_id }} is {{ event.payload.status }}: {{ event.payload.reason }}.\n"
    "Last night: {{ event.payload.last_night }} ({{ event.payload.last_night_articles }} new articles; "
    "median {{ event.payload.median_articles or 'not known yet' }}; "
    "recent nights, newest first: {{ event.payload.recent_articles }}).\n"
    "Last article ingested: {{ event.payload.last_ingested_at or 'never' }}; last fetch a feed or sitemap answered: "
    "{{ event.payload.last_fetch_ok_at or 'never' }}.\n"
    "Look: news-etl status; fetch_log for the source."
)


class AlertsError(ValueError):
    pass


@dataclass(frozen=True)
class AlertSetup:
    block_type: str
    block_id: str
    automations: list[str]


def secret_from_env(name: str, what: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise AlertsError(f"the environment variable {name} ({what}) is not set")
    return value


def notification_block(settings: AlertSettings) -> Block:
    """The block of `settings.notify`, its secret read from the environment."""
    if settings.notify == "webhook":
        url = secret_from_env(settings.url_env, "the webhook URL")
        return CustomWebhookNotificationBlock(
            name=BLOCK_NAME,
            url="{{url}}",  # the URL itself is a secret value of the block, shown obfuscated
            secrets={"url": url},  # type: ignore[arg-type]  # pydantic turns the dict into a SecretDict
            json_data={"subject": "{{subject}}", "body": "{{body}}", "text": "{{subject}}\n{{body}}"},
            headers=None, cookies=None,
        )
    if settings.notify == "slack":
        return SlackWebhook(url=SecretStr(secret_from_env(settings.url_env, "the Slack incoming webhook URL")))
    if settings.notify == "teams":
        return MicrosoftTeamsWebhook(url=SecretStr(secret_from_env(settings.url_env, "the Teams incoming webhook URL")))
    if not settings.to or not settings.sender:
        raise AlertsError("alerts.notify: sendgrid needs alerts.to (addresses) and alerts.sender")
    return SendgridEmail(
        api_key=SecretStr(secret_from_env(settings.api_key_env, "the SendGrid API key")),
        sender_email=settings.sender, to_emails=list(settings.to),
    )


def automations(block_id: Any, settings: AlertSettings) -> list[AutomationCore]:
    found: list[AutomationCore] = []
    if "night_failed" in settings.on:
        found.append(AutomationCore(
            name=NIGHT_FAILED,
            description="A news-etl nightly, backfill or maintenance run ended Failed, Crashed or TimedOut.",
            trigger=EventTrigger(
                expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed", "prefect.flow-run.TimedOut"},
                match_related={"prefect.resource.role": "flow", "prefect.resource.name": list(FLOWS)},
                posture=Posture.Reactive, threshold=1, within=timedelta(0),
            ),
            actions=[SendNotification(block_document_id=block_id, subject=NIGHT_SUBJECT, body=NIGHT_BODY)],
        ))
    wanted = [f"news-etl.source.{flag}" for flag in ("silent", "low") if f"source_{flag}" in settings.on]
    if wanted:
        found.append(AutomationCore(
            name=SOURCE_FLAGGED,
            description="The nightly's freshness check flagged a source (news-etl status, view source_freshness).",
            trigger=EventTrigger(
                expect=set(wanted), match={"prefect.resource.id": "news-etl.source.*"},
                for_each={"prefect.resource.id"}, posture=Posture.Reactive, threshold=1, within=timedelta(0),
            ),
            actions=[SendNotification(block_document_id=block_id, subject=SOURCE_SUBJECT, body=SOURCE_BODY)],
        ))
    return found


def set_up_alerts(settings: AlertSettings) -> tuple[AlertSetup, Block]:
    """Save the notification block and (re)create the automations on the server of
    PREFECT_API_URL (those of an earlier setup are replaced); returns what was made and the
    block (its `notify` sends a test message)."""
    block = notification_block(settings)
    block_id = block.save(BLOCK_NAME, overwrite=True)
    made = []
    with get_client(sync_client=True) as client:
        for name in (NIGHT_FAILED, SOURCE_FLAGGED):
            for old in client.read_automations_by_name(name):
                client.delete_automation(old.id)
        for automation in automations(block_id, settings):
            client.create_automation(automation)
            made.append(automation.name)
    return AlertSetup(type(block).__name__, str(block_id), made), block
