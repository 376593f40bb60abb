import gc
import importlib.util
from pathlib import Path

from scenarios.identification import encoder, warmup
from scenarios.identification.encoder import MINILM_INT8
from scenarios.identification.warmup import warm_up

GUNICORN_CONF = Path(__file__).resolve().parents[2] / "config" / "gunicorn.conf.py"


def _count_encoders_built(monkeypatch) -> list[str]:
    """An empty per-process encoder cache whose loads are recorded (by encoder name)."""
    built: list[str] = []

    class Counting(encoder._Encoder):
        def __init__(self, name):
            built.append(name)
            super().__init__(name)

    monkeypatch.setattr(encoder, "_encoders", {})
    monkeypatch.setattr(encoder, "_Encoder", Counting)
    return built


def _warmup_events(caplog) -> list[dict]:
    return [
        r.msg
        for r in caplog.records
        if r.name == "scenarios.identification.warmup" and isinstance(r.msg, dict)
    ]


def test_warm_up__twice__default_encoder_loaded_once(monkeypatch, caplog):
    # given a process with no encoder loaded
    built = _count_encoders_built(monkeypatch)

    # when it warms up, then warms up again
    first = warm_up()
    loaded = encoder._encoders[MINILM_INT8]
    second = warm_up()

    # then the default encoder was loaded by the first call only, and is the one later calls use
    assert (first, second) == (True, True)
    assert built == [MINILM_INT8]
    assert list(encoder._encoders) == [MINILM_INT8]
    assert encoder._encoders[MINILM_INT8] is loaded
    assert [e["event"] for e in _warmup_events(caplog)] == ["identification_encoder_warmed"] * 2


def test_warm_up__encoder_cannot_load__warning_logged_and_false(monkeypatch, caplog):
    # given an encoder whose runtime is not installed
    monkeypatch.setattr(encoder, "_encoders", {})

    def missing(name):
        raise ModuleNotFoundError("No module named 'onnxruntime'")

    monkeypatch.setattr(encoder, "_Encoder", missing)

    # when the process warms up
    warmed = warm_up()

    # then it says so, logs why, and nothing is cached
    assert warmed is False
    [event] = _warmup_events(caplog)
    assert event["event"] == "identification_encoder_warm_up_failed"
    assert event["error"] == "ModuleNotFoundError: No module named 'onnxruntime'"
    assert event["level"] == "warning"
    assert encoder._encoders == {}


def test_warm_up__setting_off__nothing_loaded(settings, monkeypatch, caplog):
    # given warming turned off
    settings.REDRESS_WARM_ENCODER = False
    built = _count_encoders_built(monkeypatch)

    # when the process warms up
    warmed = warm_up()

    # then no encoder was loaded and nothing was logged
    assert warmed is False
    assert built == []
    assert encoder._encoders == {}
    assert _warmup_events(caplog) == []


def test_gunicorn_conf__post_worker_init__warms_up(monkeypatch):
    # given the Procfile's gunicorn config, and warm_up recorded
    calls = []
    monkeypatch.setattr(warmup, "warm_up", lambda: calls.append("warm_up"))
    spec = importlib.util.spec_from_file_location("redress_gunicorn_conf", GUNICORN_CONF)
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)

    # when a worker has loaded the app
    conf.post_worker_init(object())

    # then it warmed up once
    assert calls == ["warm_up"]


def test_gunicorn_conf__post_worker_init__freezes_what_the_worker_loaded(monkeypatch):
    # given the Procfile's gunicorn config, and an object the worker loaded before serving
    monkeypatch.setattr(warmup, "warm_up", lambda: None)
    spec = importlib.util.spec_from_file_location("redress_gunicorn_conf", GUNICORN_CONF)
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    loaded = {"routing": ["rules"]}
    assert any(o is loaded for o in gc.get_objects())

    # when a worker has loaded the app
    try:
        conf.post_worker_init(object())

        # then the collector no longer walks it (frozen: in none of its generations)
        assert not any(o is loaded for o in gc.get_objects())
        assert not any(o is loaded["routing"] for o in gc.get_objects())
    finally:
        gc.unfreeze()


def test_celery__worker_process_init__warms_up(monkeypatch):
    # given the Celery app, and warm_up recorded
    from celery.signals import worker_process_init

    from config import celery

    calls = []
    monkeypatch.setattr(warmup, "warm_up", lambda: calls.append("warm_up"))

    # when the handler connected to worker_process_init runs
    connected = celery._warm_identification_encoder in worker_process_init._live_receivers(None)
    celery._warm_identification_encoder(sender="worker@host")

    # then it is connected and warmed up once
    assert connected is True
    assert calls == ["warm_up"]
