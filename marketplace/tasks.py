"""Celery tasks: take ids, re-fetch, call marketplace.execution (README, Architecture).

webhook_queue is the one place a callback delivery is queued: after a run ends (here) and when a
request is answered from a stored result (services.verification_submit)."""
from celery import Task, shared_task
from django.conf import settings

from marketplace import execution
from marketplace.api.serializers import verification_body
from marketplace.constants import WebhookEvent
from marketplace.models import Verification
from marketplace.registries import TransientFetchError


class WebhookDeliveryFailed(Exception):
    """A callback attempt did not get a 2xx; retried with backoff."""


def webhook_queue(verification: Verification, event: str = WebhookEvent.COMPLETED) -> None:
    """Queue the delivery of one event to the verification's callback_url.

    Call it with the row committed and no transaction open (a task's end, or after a service's
    atomic block in a request: views are not atomic), so the worker reads what was written. Not
    transaction.on_commit: inside the tests' per-test transaction its callbacks would never run.
    """
    if verification.callback_url:
        webhook_deliver.delay(verification.public_id, str(event))


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
                                                 data=verification_body(verification))
    if delivery.outcome == "success":
        return "delivered"
    if delivery.error.startswith("refused:"):
        return "refused"  # the address is not allowed; retrying cannot help
    raise WebhookDeliveryFailed(delivery.error)
