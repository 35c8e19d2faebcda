"""Pinyin search keys: surnames read as surnames, initials, foreign names."""

import pytest

from fengqiao.registry.text import pinyin_keys, search_key


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [
        ("张三", "zhangsan", "zs"),
        ("李四", "lisi", "ls"),
        ("王小明", "wangxiaoming", "wxm"),
        ("马海燕", "mahaiyan", "mhy"),
        # polyphonic surnames take their surname reading
        ("单雄信", "shanxiongxin", "sxx"),
        ("曾国藩", "zengguofan", "zgf"),
        ("解缙", "xiejin", "xj"),
        ("仇英", "qiuying", "qy"),
        ("区志强", "ouzhiqiang", "ozq"),
        ("查良镛", "zhaliangyong", "zly"),
        ("朴正义", "piaozhengyi", "pzy"),
        ("乐嘉", "yuejia", "yj"),
        ("翟志刚", "zhaizhigang", "zzg"),
        # compound surnames
        ("欧阳修", "ouyangxiu", "oyx"),
        ("尉迟恭", "yuchigong", "ycg"),
        ("万俟卨", "moqixie", "mqx"),
        ("长孙无忌", "zhangsunwuji", "zswj"),
    ],
)
def test_names_get_their_pinyin_and_initials(name, full, initials):
    assert pinyin_keys(name) == (full, initials)


def test_the_everyday_reading_stays_outside_the_surname():
    # 单 in a given name is dān, 曾 céng as in 曾经 is not the surname reading
    assert pinyin_keys("李单")[0] == "lidan"


def test_transliterated_and_foreign_names():
    assert pinyin_keys("买买提·艾力") == ("maimaitiaili", "mmtal")
    assert pinyin_keys("John Smith") == ("johnsmith", "js")


def test_empty_names_give_empty_keys():
    assert pinyin_keys("") == ("", "")
    assert pinyin_keys("  ") == ("", "")


def test_queries_are_reduced_like_the_keys():
    assert search_key(" Zhang San ") == "zhangsan"
    assert search_key("ＺＳ") == "zs"
