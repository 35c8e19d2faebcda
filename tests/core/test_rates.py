from django.test import override_settings

from fengqiao.core.rates import Rate, per_10k, ranked


@override_settings(RATE_MIN_CASES=20)
def test_a_rate_from_too_few_cases_is_unreliable_and_left_out_of_rankings():
    few, many, more = Rate(5, 5), Rate(18, 20), Rate(19, 40)
    assert few.value == 1.0 and not few.reliable
    assert many.reliable and more.reliable
    assert ranked([few, more, many], lambda r: r) == [many, more]
    assert ranked([few, more, many], lambda r: r, lower_is_better=True) == [more, many]


def test_nothing_to_divide_by():
    assert Rate(0, 0).value is None and not Rate(0, 0).reliable
    assert per_10k(3, 0) is None
    assert per_10k(3, 30_000) == 1.0
