"""On a phone: a member of staff asks from "my shifts" to swap a shift, the colleague finds it in
their inbox and agrees, the station chief sees that every rule still holds and approves; each page
fits the phone and runs no inline script."""

import datetime as dt

import pytest

from fengqiao.duty.models import Assignment, SwapRequest
from tests.duty.test_swaps import D, on, rota, working  # noqa: F401 - the swap tests' rota, as a fixture here

pytestmark = pytest.mark.browser


def test_a_swap_is_asked_agreed_and_approved_on_phones(phone, personas, rota):  # noqa: F811
    t = rota
    a, b = working(t, D, 0), working(t, D, 3)
    mine, theirs = on(t, a, D), on(t, b, D - 1)
    page = phone.page
    # A asks, from their shifts
    phone.login(t.staff[a].username, purpose=None)
    phone.goto("/duty/mine/")
    assert phone.html_lang() == "zh-hans" and phone.no_horizontal_scroll()
    with page.expect_navigation():
        page.locator(f'a[data-swap="{mine.pk}"]').click()
    page.select_option("#id_choice", f"a{theirs.pk}")
    page.fill("#id_note", "孩子生病")
    with page.expect_navigation():
        page.locator("form.card button[type=submit]").click()
    swap = SwapRequest.objects.unscoped(reason="test").get()
    assert page.locator("#swap-status").get_attribute("data-status") == "asked"
    assert "孩子生病" in page.locator("#timeline").inner_text()
    # B finds it in the inbox and agrees
    page.context.clear_cookies()
    phone.login(t.staff[b].username, purpose=None)
    phone.goto("/inbox/")
    with page.expect_navigation():
        page.locator(f'tr[data-number="{swap.number}"] a').click()
    with page.expect_navigation():
        page.locator('form[data-move="agree"] button[type=submit]').click()
    assert page.locator("#swap-status").get_attribute("data-status") == "agreed"
    # the chief sees the check and approves
    page.context.clear_cookies()
    phone.login("station", purpose=None)
    phone.goto(f"/duty/swaps/{swap.number}/")
    assert page.locator("#swap-keeps-rules").is_visible() and phone.no_horizontal_scroll()
    with page.expect_navigation():
        page.locator('form[data-move="approve"] button[type=submit]').click()
    assert page.locator("#swap-status").get_attribute("data-status") == "approved"
    moved = Assignment.objects.get(pk=mine.pk)
    assert (moved.user_id, moved.day) == (t.staff[a].pk, t.month + dt.timedelta(days=D - 1))
