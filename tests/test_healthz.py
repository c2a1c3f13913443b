"""/healthz: the floor every page is measured against, and what a load balancer polls."""


def test_healthz_is_a_constant_plain_text_ok_without_the_database(client, django_assert_num_queries, db):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b"ok"


def test_healthz_only_answers_get(client, db):
    assert client.post("/healthz").status_code == 405


def test_readyz_answers_ok_when_the_database_answers(client, django_assert_num_queries, db):
    with django_assert_num_queries(1):
        response = client.get("/readyz")
    assert (response.status_code, response.content) == (200, b"ok")
    assert "no-store" in response["Cache-Control"]


def test_readyz_is_503_when_the_database_cannot_be_reached(client, db, monkeypatch):
    from django.db import OperationalError, connection

    def unreachable(*args, **kwargs):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", unreachable)
        response = client.get("/readyz")
        assert (response.status_code, response.content) == (503, b"database unreachable")
        assert client.get("/healthz").content == b"ok"  # the process itself is fine


def test_both_probes_answer_plain_http_while_the_site_redirects_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/").status_code == 301
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
