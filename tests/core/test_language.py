def test_pages_are_chinese_even_for_an_english_browser(client):
    # given a browser that prefers English and has made no choice
    response = client.get("/login/", headers={"Accept-Language": "en-US,en;q=0.9"})
    # then the page is Chinese
    assert response.headers["Content-Language"] == "zh-hans"


def test_the_language_switch_is_honoured(client):
    # when the user picks English with the switch
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    response = client.get("/login/", headers={"Accept-Language": "zh-CN"})
    # then pages are English from then on
    assert response.headers["Content-Language"] == "en"


def test_the_api_follows_accept_language(client):
    english = client.get("/api/v1/nowhere", headers={"Accept-Language": "en"})
    default = client.get("/api/v1/nowhere")
    assert english.headers["Content-Language"] == "en"
    assert default.headers["Content-Language"] == "zh-hans"
