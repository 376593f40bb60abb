"""gunicorn settings of the Procfile's web server (`--config config/gunicorn.conf.py`; gunicorn
reads ./gunicorn.conf.py by itself, not this path). The bind, workers and timeout stay on the
Procfile's command line."""

import gc


def post_worker_init(worker):
    """Each worker has loaded config.wsgi (Django is set up) and has not served a request yet: it
    loads the identification encoder now rather than on its first customer message. Never raises.

    Then everything loaded so far — Django, the URLconf, the models, the encoder and its tokenizer,
    ~290k objects that live as long as the worker — leaves the garbage collector's generations
    (``gc.freeze()``, as the Python docs advise for pre-fork servers): a full collection no longer
    walks them. Measured in a benchmark worker: full collections of 130-170 ms, each stalling
    every request queued behind it, became 16 of at most ~17 ms (docs/performance.md)."""
    from scenarios.identification.warmup import warm_up

    warm_up()
    gc.collect()  # what is garbage now is not frozen with the rest
    gc.freeze()
