"""builtin-http against a real server: the default for http.* (no lumen.toml needed)."""

import json

import pytest
from harness import call, handle
from servers import closed_port

from lumen.runtime.errors import LumenError


def error_of(h, **arguments) -> LumenError:
    with pytest.raises(LumenError) as info:
        call(h, **arguments)
    return info.value


def test_get_returns_the_body(project, web_server):
    project.session()
    assert call(handle("http.get"), url=web_server.url("/text")) == "hello, world"


def test_get_sends_headers(project, web_server):
    project.session()
    body = call(handle("http.get"), url=web_server.url("/echo"), headers={"X-Trace": "t1"})
    assert json.loads(body)["headers"]["x-trace"] == "t1"


def test_non_2xx_is_a_tool_error_naming_the_status(project, web_server):
    project.session()
    url = web_server.url("/status/404")
    error = error_of(handle("http.get", "Fetch"), url=url)
    assert error.kind == "ToolError"
    assert error.message == f"Fetch (http.get): GET {url} returned 404: status 404"
    assert web_server.count == 1


def test_5xx_get_is_retried(project, web_server):
    project.toml('[providers.config.builtin-http]\nretry_base_ms = 1\n').session()
    error = error_of(handle("http.get", "Fetch"), url=web_server.url("/status/503"))
    assert error.message.endswith("returned 503 after 3 attempts")
    assert web_server.count == 3


def test_post_string_body_is_sent_as_is(project, web_server):
    project.session()
    echo = json.loads(call(handle("http.post"), url=web_server.url("/echo"), body="raw text"))
    assert echo["method"] == "POST" and echo["body"] == "raw text"
    assert echo["headers"]["content-type"].startswith("text/plain")


def test_post_map_body_is_sent_as_json(project, web_server):
    project.session()
    echo = json.loads(call(handle("http.post"), url=web_server.url("/echo"),
                           body={"a": [1, 2], "b": None}))
    assert json.loads(echo["body"]) == {"a": [1, 2], "b": None}
    assert echo["headers"]["content-type"] == "application/json"


def test_post_is_not_retried_without_a_max_retries_grant(project, web_server):
    project.session()
    error = error_of(handle("http.post", "Send"), url=web_server.url("/status/500"), body="x")
    assert error.kind == "ToolError" and web_server.count == 1


def test_request_returns_an_http_response_for_any_status(project, web_server):
    project.session()
    response = call(handle("http.request"), method="put", url=web_server.url("/status/418"))
    assert (response.status, response.body) == (418, "status 418")
    assert response.headers["content-type"] == "text/plain"
    assert type(response)._lumen_name == "HttpResponse"
    ok = call(handle("http.request"), method="GET", url=web_server.url("/text"))
    assert ok.status == 200 and ok.headers["x-test"] == "yes"


def test_307_keeps_method_and_body(project, web_server):
    project.session()
    target = web_server.url("/echo")
    echo = json.loads(call(handle("http.post"), url=web_server.url(f"/redirect307?to={target}"),
                           body="payload"))
    assert (echo["method"], echo["body"]) == ("POST", "payload")


def test_connection_refused(project):
    project.toml('[providers.config.builtin-http]\nretry_base_ms = 1\n').session()
    port = closed_port()
    error = error_of(handle("http.get", "Fetch", max_retries=1),
                     url=f"http://127.0.0.1:{port}/x")
    assert error.kind == "ToolError"
    assert error.message.startswith(f"Fetch (http.get): cannot connect to http://127.0.0.1:{port}")
    assert error.message.endswith("after 2 attempts")


def test_timeout(project, web_server):
    project.session()
    error = error_of(handle("http.get", "Fetch", timeout_ms=100), url=web_server.url("/slow?ms=800"))
    assert error.kind == "Timeout"


def test_bad_arguments(project):
    project.session()
    assert "missing argument `url`" in error_of(handle("http.get"), headers={}).message
    assert "unsupported URL" in error_of(handle("http.get"), url="ftp://x/y").message
    error = error_of(handle("http.fetch", "F"), url="http://127.0.0.1/")
    assert "builtin-http has no tool `fetch`" in error.message
