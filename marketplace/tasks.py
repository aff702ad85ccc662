"""Celery tasks: take ids, re-fetch, call a service (README, Architecture)."""
from celery import Task, shared_task
from django.conf import settings

from marketplace import services
from marketplace.constants import WebhookEvent
from marketplace.models import Verification
from marketplace.registries import TransientFetchError


class WebhookDeliveryFailed(Exception):
    """A callback attempt did not get a 2xx; retried with backoff."""


class VerificationTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Retries exhausted or an unexpected error: record it so nothing stays pending.
        verification_id = args[0] if args else kwargs.get("verification_id")
        services.verification_record_failure(verification_id=verification_id, exc=exc)


@shared_task(bind=True, base=VerificationTask, acks_late=True, autoretry_for=(TransientFetchError,),
             retry_backoff=5, retry_backoff_max=120, retry_jitter=True, max_retries=3)
def verification_run(self, verification_id: str) -> str:
    """Fetch, scan and record one verification."""
    return services.verification_execute(verification_id=verification_id).status


@shared_task(bind=True, acks_late=True, autoretry_for=(WebhookDeliveryFailed,), retry_backoff=10,
             retry_backoff_max=3600, retry_jitter=True, max_retries=max(0, settings.SIGIL_WEBHOOK_MAX_ATTEMPTS - 1))
def webhook_deliver(self, verification_id: str, event: str = WebhookEvent.COMPLETED) -> str:
    """POST one event of a verification to its callback_url; retry on failure, every attempt logged."""
    verification = Verification.objects.select_related("owner").filter(public_id=verification_id).first()
    if verification is None or not verification.callback_url or event not in WebhookEvent.values:
        return "skipped"
    if verification.deliveries.filter(event_type=event, outcome="success").exists():
        return "already delivered"  # a redelivered task must not POST the same event twice
    delivery = services.webhook_deliver_attempt(verification=verification, event=event)
    if delivery.outcome == "success":
        return "delivered"
    if delivery.error.startswith("refused:"):
        return "refused"  # the address is not allowed; retrying cannot help
    raise WebhookDeliveryFailed(delivery.error)
