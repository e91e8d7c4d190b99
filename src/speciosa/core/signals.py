"""Signals the service layer sends inside its transaction.

``patient_facts_changed`` fires after any write that changes what the safety engine or
the plan objectives read (scores, medications, substance use, labs, diagnoses).
Receivers run in the same transaction, so alerts are never out of step with the data.
"""

from django.dispatch import Signal

# kwargs: patient, actor, reason (str), and optionally changed: what the write changed,
# named as in clinical.safety.incremental ({"scores:phq9"}, {"labs"}...). Without it
# receivers assume anything may have changed. Every sender is the Patient class, so the
# receiver list is cached per sender (Django re-reads it when a receiver connects).
patient_facts_changed = Signal(use_caching=True)
