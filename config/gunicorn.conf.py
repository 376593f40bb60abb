"""gunicorn settings of the Procfile's web server (`--config config/gunicorn.conf.py`; gunicorn
reads ./gunicorn.conf.py by itself, not this path). The bind, workers and timeout stay on the
Procfile's command line."""


def post_worker_init(worker):
    """Each worker has loaded config.wsgi (Django is set up) and has not served a request yet: it
    loads the identification encoder now rather than on its first customer message. Never raises."""
    from scenarios.identification.warmup import warm_up

    warm_up()
