"""Signals other apps listen to; signatures imports none of them (dependencies point one way)."""
from django.dispatch import Signal

# Sent after commit whenever a signature is created, changed or withdrawn.
# Arguments: public_id ("sig_…"), action ("created" | "changed" | "withdrawn"), change_seq.
signature_changed = Signal()
