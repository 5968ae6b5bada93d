"""The retry policy against real loopback servers, and credential redaction."""

from __future__ import annotations

import logging
import time

import pytest
import requests

from sre_agent.backends._redact import MASK, redact, register_secret
from sre_agent.backends._retry import BackendRequestError, RetryPolicy, get_json, is_transient, plain_session
from sre_agent.backends.alertmanager import AlertmanagerBackend
from sre_agent.backends.base import BackendUnavailable
from sre_agent.backends.jaeger import JaegerBackend
from sre_agent.backends.live_config import LiveConfig, load_live_config
from live_servers import StubHTTPServer, free_port
from sre_agent.backends.prometheus import PrometheusBackend
from sre_agent.errors import ConfigError

pytestmark = pytest.mark.live

FAST = RetryPolicy(timeout=1.0, attempts=3, backoff_initial=0.01, backoff_max=0.05, jitter=0.01, deadline=10)


def test_503_twice_then_200_succeeds_with_three_calls():
    routes = {"/x": [(503, {"e": 1}), (503, {"e": 2}), (200, {"ok": True})]}
    with StubHTTPServer(routes) as stub:
        data = FAST.call("stub", get_json, plain_session(), stub.url + "/x", timeout=FAST.timeout)
    assert data == {"ok": True}
    assert [r.path for r in stub.seen] == ["/x", "/x", "/x"]


def test_429_is_retried_but_404_is_not():
    with StubHTTPServer({"/busy": [(429, {}), (200, [1])]}) as stub:
        assert FAST.call("stub", get_json, plain_session(), stub.url + "/busy", timeout=1) == [1]
        with pytest.raises(BackendRequestError) as err:
            FAST.call("stub", get_json, plain_session(), stub.url + "/missing", timeout=1)
    assert [r.path for r in stub.seen] == ["/busy", "/busy", "/missing"]
    assert err.value.status == 404 and "\n" not in str(err.value)


def test_persistent_503_gives_up_after_the_bounded_attempts():
    with StubHTTPServer({"/x": (503, {})}) as stub:
        with pytest.raises(BackendUnavailable, match="after 3 attempts: HTTP 503"):
            FAST.call("stub", get_json, plain_session(), stub.url + "/x", timeout=1)
    assert len(stub.seen) == 3


def test_unreachable_port_is_one_line_backend_unavailable_within_the_timeout():
    port = free_port()
    policy = RetryPolicy(timeout=1.0, attempts=3, backoff_initial=0.05, backoff_max=0.2, jitter=0.05, deadline=5)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable) as err:
        policy.call("jaeger", get_json, plain_session(), f"http://127.0.0.1:{port}/api/services", timeout=1)
    assert time.monotonic() - started < 5
    text = str(err.value)
    assert "\n" not in text and text.startswith("jaeger unavailable after 3 attempts") and "connection refused" in text


def test_a_silent_server_times_out_per_call():
    import socket
    with socket.socket() as s:  # accepts connections, never answers
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        url = f"http://127.0.0.1:{s.getsockname()[1]}/"
        policy = RetryPolicy(timeout=0.3, attempts=2, backoff_initial=0.01, backoff_max=0.01, jitter=0, deadline=5)
        started = time.monotonic()
        with pytest.raises(BackendUnavailable, match="timed out"):
            policy.call("silent", get_json, plain_session(), url, timeout=policy.timeout)
        assert time.monotonic() - started < 3


def test_transient_classification():
    assert is_transient(requests.ConnectionError("x"))
    assert is_transient(TimeoutError())
    assert not is_transient(ValueError("bad"))
    assert not is_transient(BackendRequestError("x", 400))


def test_backends_degrade_to_problems_when_unreachable():
    url = f"http://127.0.0.1:{free_port()}"
    for backend in (PrometheusBackend(url, policy=FAST), JaegerBackend(url, policy=FAST), AlertmanagerBackend(url, policy=FAST)):
        assert backend.metric_names() == [] if isinstance(backend, PrometheusBackend) else True
        assert (backend.spans() if isinstance(backend, JaegerBackend) else []) == []
        assert (backend.alerts() if isinstance(backend, AlertmanagerBackend) else []) == []
        problems = backend.problems()
        assert problems and all("\n" not in p.problem and "unavailable" in p.problem for p in problems)
        with pytest.raises(BackendUnavailable):
            backend.check()


# -- credentials -----------------------------------------------------------------------------
def test_redact_masks_registered_secrets_and_credential_shapes():
    register_secret("tok-abcdef-123456")
    text = redact("Authorization: Bearer tok-abcdef-123456 http://user:pw@h/x?token=zzz api_key='qq'")
    assert "tok-abcdef-123456" not in text and "pw@" not in text and "zzz" not in text and "qq" not in text
    assert MASK in text


def test_planted_token_never_leaks(monkeypatch, caplog, tmp_path):
    token = "plantedSECRET-7f3a9c1e5b"
    monkeypatch.setenv("SRE_AGENT_TEST_TOKEN", token)
    caplog.set_level(logging.DEBUG)

    def echo_headers(req):  # a hostile server that echoes the credentials back in its error body
        return 500, {"error": "boom", "headers": req.headers, "raw": f"token={token}"}

    routes = {p: echo_headers for p in ("/api/v1/query", "/api/v1/label/__name__/values", "/api/services",
                                        "/api/traces", "/api/v2/alerts")}
    with StubHTTPServer(routes) as stub:
        cfg = LiveConfig.model_validate({
            name: {"url": stub.url, "token_env": "SRE_AGENT_TEST_TOKEN"} for name in ("prometheus", "jaeger", "alertmanager")
        } | {"timeouts": {"attempts": 2, "backoff_initial_s": 0.01, "backoff_max_s": 0.01, "jitter_s": 0}})
        from sre_agent.backends.live import LiveBackend
        backend = LiveBackend.from_config(cfg)
        produced: list[str] = []
        produced += [str(x) for x in (backend.metric_names(), backend.metric_series("up"), backend.spans("cart"),
                                      backend.alerts(), backend.list_objects())]
        produced += [p.problem for p in backend.problems()]
        produced += [str(backend.check()), repr(backend), repr(cfg), str(cfg.describe()), cfg.model_dump_json()]
        for fn in (backend.prometheus.check, backend.jaeger.check, backend.alertmanager.check):
            with pytest.raises(BackendUnavailable) as err:
                fn()
            produced.append(str(err.value))
            produced.append(repr(err.value))
    # the token really was sent (so the test can fail), and echoed back by the server
    assert any(r.headers.get("Authorization") == f"Bearer {token}" for r in stub.seen)
    produced.append(caplog.text)
    blob = "\n".join(produced)
    assert "HTTP 500" in blob
    assert token not in blob


def test_config_rejects_a_token_pasted_instead_of_an_env_name(tmp_path):
    bad = tmp_path / "live.yaml"
    bad.write_text("prometheus:\n  url: http://127.0.0.1:9090\n  token_env: 'Bearer abc.def-ghi'\n")
    with pytest.raises(ConfigError) as err:
        load_live_config(bad)
    assert "abc.def-ghi" not in str(err.value) and "\n" not in str(err.value)
    creds = tmp_path / "creds.yaml"
    creds.write_text("jaeger:\n  url: http://admin:hunter22@127.0.0.1:16686\n")
    with pytest.raises(ConfigError) as err:
        load_live_config(creds)
    assert "hunter22" not in str(err.value)


def test_packaged_live_config_loads():
    cfg = load_live_config()
    assert cfg.prometheus is not None and cfg.prometheus.url.startswith("http")
    assert cfg.kubernetes is not None and cfg.timeouts.attempts >= 1
