import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("redress")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _warm_identification_encoder(**_):
    """Each prefork worker process (not beat, which runs no tasks) loads the identification encoder
    once forked, before its first task rather than during it. Never raises."""
    from scenarios.identification.warmup import warm_up

    warm_up()
