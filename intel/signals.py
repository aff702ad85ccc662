"""Signals other apps listen to; intel imports none of them (dependencies point one way)."""
from django.dispatch import Signal

# Sent after commit whenever a threat is created, changed or withdrawn.
# Arguments: reference ("THR-…"), action ("created" | "changed" | "withdrawn"), updated_at.
threat_changed = Signal()
