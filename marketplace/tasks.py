"""Celery tasks: take ids, re-fetch, call marketplace.execution or marketplace.reverify (README, Architecture).

webhook_queue is the one place a callback delivery is queued: after a run ends (here) and when a
request is answered from a stored result (services.verification_submit)."""
import logging

from celery import Task, shared_task
from django.conf import settings
from django.db import transaction

from intel.osv import OsvError
from marketplace import execution, reverify
from marketplace.api.serializers import VerificationOutputSerializer
from marketplace.constants import IntelChangeKind, WebhookEvent
from marketplace.models import Verification
from marketplace.osv_source import osv_import_from
from marketplace.registries import TransientFetchError


class WebhookDeliveryFailed(Exception):
    """A callback attempt did not get a 2xx; retried with backoff."""


def webhook_queue(verification: Verification, event: str = WebhookEvent.COMPLETED) -> None:
    """Queue the delivery of one event to the verification's callback_url once the caller's
    transaction (if any) has committed, so the worker reads what was written."""
    if verification.callback_url:
        public_id = verification.public_id
        transaction.on_commit(lambda: webhook_deliver.delay(public_id, str(event)))


class VerificationTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Retries exhausted or an unexpected error: record it so nothing stays pending.
        verification_id = args[0] if args else kwargs.get("verification_id")
        verification = execution.verification_record_failure(verification_id=verification_id, exc=exc)
        if verification is not None:
            webhook_queue(verification)


@shared_task(bind=True, base=VerificationTask, acks_late=True, autoretry_for=(TransientFetchError,),
             retry_backoff=5, retry_backoff_max=120, retry_jitter=True, max_retries=3)
def verification_run(self, verification_id: str) -> str:
    """Fetch, scan and record one verification, then queue its callback."""
    verification = execution.verification_execute(verification_id=verification_id)
    if verification is None:
        return "already done"  # a redelivered task (acks_late) finds the work done
    webhook_queue(verification)
    return verification.status


@shared_task(bind=True, acks_late=True, autoretry_for=(WebhookDeliveryFailed,), retry_backoff=10,
             retry_backoff_max=3600, retry_jitter=True, max_retries=max(0, settings.SIGIL_WEBHOOK_MAX_ATTEMPTS - 1))
def webhook_deliver(self, verification_id: str, event: str = WebhookEvent.COMPLETED) -> str:
    """POST one event of a verification to its callback_url; retry on failure, every attempt logged."""
    verification = Verification.objects.select_related("owner", "publisher").filter(public_id=verification_id).first()
    if verification is None or not verification.callback_url or event not in WebhookEvent.values:
        return "skipped"
    if verification.deliveries.filter(event_type=event, outcome="success").exists():
        return "already delivered"  # a redelivered task must not POST the same event twice
    delivery = execution.webhook_deliver_attempt(verification=verification, event=event,
                                                 data=VerificationOutputSerializer(verification).data)
    if delivery.outcome == "success":
        return "delivered"
    if delivery.error.startswith("refused:"):
        return "refused"  # the address is not allowed; retrying cannot help
    raise WebhookDeliveryFailed(delivery.error)


# ---- re-verification (marketplace/reverify.py; README, Badges and re-verification) -----------

def reverify_queue(change_id: int | None) -> None:
    """Queue the pass of one intel change once the caller's transaction (if any) has committed."""
    if change_id is not None:
        transaction.on_commit(lambda: reverify_pass.delay(change_id))


@shared_task(acks_late=True)
def reverify_pass(change_id: int) -> int:
    """Find the results one intel change could affect and queue their batches."""
    change, batches = reverify.reverify_pass(change_id=change_id)
    batch_task = reverify_threat_batch if change.kind == IntelChangeKind.THREAT else reverify_rescan_batch
    for batch in batches:
        batch_task.delay(change_id, batch)
    return change.candidates


@shared_task(acks_late=True, rate_limit=settings.SIGIL_REVERIFY_BATCH_RATE)
def reverify_threat_batch(change_id: int, verification_ids: list[int]) -> int:
    """Match a batch of results against today's threats from stored hashes; returns revocations."""
    revoked = reverify.reverify_threat_batch(change_id=change_id, verification_ids=verification_ids)
    for verification in revoked:
        webhook_queue(verification, WebhookEvent.REVOKED)
    return len(revoked)


@shared_task(bind=True, acks_late=True, rate_limit=settings.SIGIL_REVERIFY_RESCAN_RATE,
             autoretry_for=(TransientFetchError,), retry_backoff=10, retry_backoff_max=600, retry_jitter=True,
             max_retries=5)
def reverify_rescan_batch(self, change_id: int, artifact_hashes: list[str]) -> int:
    """Re-scan a batch of artifacts with today's signatures; returns revocations."""
    revoked = reverify.reverify_rescan_batch(change_id=change_id, artifact_hashes=artifact_hashes)
    for verification in revoked:
        webhook_queue(verification, WebhookEvent.REVOKED)
    return len(revoked)


@shared_task
def reverify_catch_up() -> int:
    """Beat: re-queue unfinished passes and record changes no signal announced."""
    change_ids = reverify.reverify_catch_up()
    for change_id in change_ids:
        reverify_queue(change_id)
    return len(change_ids)


@shared_task(acks_late=True)
def osv_import_scheduled() -> str:
    """Re-import SIGIL_OSV_IMPORT_URL (README, OSV); cheap when nothing changed. Off when unset."""
    source = settings.SIGIL_OSV_IMPORT_URL
    if not source:
        return "off"
    try:
        report = osv_import_from(source=source)
    except OsvError as exc:
        logging.getLogger(__name__).warning("osv import from %s failed: %s", source, exc)
        return f"failed: {exc}"
    return report.as_text().splitlines()[0]
