from celery import shared_task

from aftersales.services.sops import sop_publications_activate_due


@shared_task(acks_late=True)
def activate_scheduled_sop_publications() -> int:
    # Idempotent: each publication is claimed by its status under the SOP row lock.
    return sop_publications_activate_due()
