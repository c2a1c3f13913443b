import pytest

pytestmark = pytest.mark.django_db


def test_unknown_briefing_is_a_404_in_the_site_style(client, seeded):
    response = client.get("/briefings/no-such-briefing/")
    assert response.status_code == 404
    assert "There is no page at this address" in response.content.decode()


def test_admin_sends_anonymous_users_to_the_login_page(client):
    response = client.get("/admin/briefings/statistic/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
