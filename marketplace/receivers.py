"""Listeners for intel and signature changes: each one becomes a re-verification pass."""
from django.dispatch import receiver

from intel.signals import threat_changed
from marketplace import reverify, tasks
from marketplace.constants import IntelChangeKind
from signatures.signals import signature_changed


@receiver(threat_changed, dispatch_uid="marketplace.reverify.threat_changed")
def on_threat_changed(sender, *, reference, action, updated_at=None, **kwargs):
    change = reverify.intel_change_record(kind=IntelChangeKind.THREAT, subject=reference, action=action,
                                          subject_updated_at=updated_at)
    tasks.reverify_queue(change and change.pk)


@receiver(signature_changed, dispatch_uid="marketplace.reverify.signature_changed")
def on_signature_changed(sender, *, public_id, action, change_seq=0, **kwargs):
    change = reverify.intel_change_record(kind=IntelChangeKind.SIGNATURE, subject=public_id, action=action,
                                          subject_seq=change_seq)
    tasks.reverify_queue(change and change.pk)
