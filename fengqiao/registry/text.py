"""Search keys for names: full toneless pinyin and initials, read the way surnames are read.

``pinyin_keys("张三") == ("zhangsan", "zs")``. Surnames often read differently from the same
character in a word (单 is shàn, not dān; 曾 zēng, not céng; 解 xiè, not jiě), so the surname is
looked up first — compound surnames (欧阳, 司马, 尉迟 …) before single ones — and the given name
is converted with pypinyin's phrase dictionary. Letters (foreign names) are kept, lower-cased;
separators such as the middle dot of transliterated names are dropped.
"""

import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# Compound surnames and their readings (the common ones of the Hundred Family Surnames).
COMPOUND_SURNAMES = {
    "欧阳": ("ou", "yang"),
    "司马": ("si", "ma"),
    "上官": ("shang", "guan"),
    "诸葛": ("zhu", "ge"),
    "东方": ("dong", "fang"),
    "皇甫": ("huang", "fu"),
    "尉迟": ("yu", "chi"),
    "公孙": ("gong", "sun"),
    "慕容": ("mu", "rong"),
    "夏侯": ("xia", "hou"),
    "令狐": ("ling", "hu"),
    "长孙": ("zhang", "sun"),
    "宇文": ("yu", "wen"),
    "司徒": ("si", "tu"),
    "司空": ("si", "kong"),
    "申屠": ("shen", "tu"),
    "澹台": ("tan", "tai"),
    "万俟": ("mo", "qi"),
    "单于": ("chan", "yu"),
    "呼延": ("hu", "yan"),
    "端木": ("duan", "mu"),
    "轩辕": ("xuan", "yuan"),
    "百里": ("bai", "li"),
    "独孤": ("du", "gu"),
    "南宫": ("nan", "gong"),
    "西门": ("xi", "men"),
    "闻人": ("wen", "ren"),
    "赫连": ("he", "lian"),
    "钟离": ("zhong", "li"),
    "太史": ("tai", "shi"),
    "公冶": ("gong", "ye"),
    "濮阳": ("pu", "yang"),
    "淳于": ("chun", "yu"),
    "仲孙": ("zhong", "sun"),
    "拓跋": ("tuo", "ba"),
}

# Single-character surnames whose reading differs from the character's everyday one (or that
# pypinyin's default gets wrong), with their surname reading.
SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "乐": "yue",
    "尉": "yu",
    "种": "chong",
    "缪": "miao",
    "翟": "zhai",
    "覃": "qin",
    "召": "shao",
    "华": "hua",
    "任": "ren",
    "员": "yun",
    "秘": "bi",
    "繁": "po",
    "燕": "yan",
    "冼": "xian",
    "洗": "xian",
    "厍": "she",
    "隗": "wei",
    "句": "gou",
    "阚": "kan",
    "宓": "mi",
    "郇": "huan",
    "过": "guo",
    "贲": "ben",
    "祭": "zhai",
    "能": "nai",
    "长": "chang",
    "折": "she",
    "车": "che",
    "柏": "bai",
    "薄": "bo",
    "藏": "zang",
    "那": "na",
    "都": "du",
    "相": "xiang",
    "应": "ying",
    "和": "he",
    "强": "qiang",
    "行": "xing",
    "谌": "chen",
    "重": "chong",
    "朝": "chao",
    "莘": "shen",
    "宿": "su",
    "沈": "shen",
    "石": "shi",
    "参": "can",
    "便": "pian",
    "寻": "xun",
    "占": "zhan",
    "曲": "qu",
    "阿": "a",
    "卜": "bu",
    "万": "wan",
    "乜": "nie",
    "弗": "fu",
    "将": "jiang",
    "贾": "jia",
    "盛": "sheng",
    "朱": "zhu",
    "叶": "ye",
    "殷": "yin",
    "恽": "yun",
    "奇": "qi",
    "祁": "qi",
    "钭": "tou",
    "纪": "ji",
    "费": "fei",
    "臧": "zang",
    "芮": "rui",
    "蔺": "lin",
    "哈": "ha",
}

_SEPARATORS = re.compile(r"[\s·•・．.\-_'’,，、()（）]+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _tokens(text: str) -> list[str]:
    """Toneless pinyin syllables of Han characters, and lower-case words of everything else."""
    out: list[str] = []
    for piece in lazy_pinyin(text, style=Style.NORMAL, errors=lambda chars: [chars], v_to_u=False):
        if _HAN.search(piece):  # a character pypinyin does not know: keep it as it is
            out.append(piece)
            continue
        for word in _SEPARATORS.split(piece.lower()):
            word = "".join(c for c in word if c.isalnum())
            if word:
                out.append(word)
    return out


@lru_cache(maxsize=65536)
def pinyin_keys(name: str) -> tuple[str, str]:
    """The full toneless pinyin (no spaces) and the initials of a name, lower-case."""
    name = unicodedata.normalize("NFKC", name or "").strip()
    if not name:
        return "", ""
    syllables: list[str] = []
    rest = name
    if name[:2] in COMPOUND_SURNAMES and len(name) > 2:
        syllables.extend(COMPOUND_SURNAMES[name[:2]])
        rest = name[2:]
    elif name[0] in SURNAME_READINGS and len(name) > 1:
        syllables.append(SURNAME_READINGS[name[0]])
        rest = name[1:]
    syllables.extend(_tokens(rest))
    full = "".join(syllables)
    initials = "".join(s[0] for s in syllables if s)
    return full, initials


def search_key(text: str) -> str:
    """A typed query reduced the way names are stored in the pinyin columns: lower-case letters
    and digits only (``"Zhang San"`` → ``"zhangsan"``)."""
    return "".join(c for c in unicodedata.normalize("NFKC", text or "").lower() if c.isalnum())
