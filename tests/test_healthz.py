"""/healthz: the floor every page is measured against, and what a load balancer polls."""


def test_healthz_is_a_constant_plain_text_ok_without_the_database(client, django_assert_num_queries, db):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b"ok"


def test_healthz_only_answers_get(client, db):
    assert client.post("/healthz").status_code == 405
