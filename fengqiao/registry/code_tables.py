"""The national code tables a person's record is kept in: 民族 (GB/T 3304), 婚姻状况 (GB/T 2261.2)
and 文化程度 (GB/T 4658). Each table is written once here, as (member, code, the standard's own
Chinese name, English label): the model's choices, the form's select, the API's and the
importer's validation (``registry.rules``) and the names shown all come from it.

The stored value is the code; the Chinese name is what a station's spreadsheet says (the
importer takes it, or a common short form, e.g. 汉 or 大专, through ``words``)."""

from django.db import models
from django.utils.translation import pgettext_lazy

# GB/T 3304-1991 (民族名称罗马字母拼写法和代码): the 56 ethnic groups, 其他 and 外国血统.
ETHNICITY_TABLE = (
    ("HAN", "01", "汉族", pgettext_lazy("ethnicity", "Han")),
    ("MONGOL", "02", "蒙古族", pgettext_lazy("ethnicity", "Mongol")),
    ("HUI", "03", "回族", pgettext_lazy("ethnicity", "Hui")),
    ("TIBETAN", "04", "藏族", pgettext_lazy("ethnicity", "Tibetan")),
    ("UYGHUR", "05", "维吾尔族", pgettext_lazy("ethnicity", "Uyghur")),
    ("MIAO", "06", "苗族", pgettext_lazy("ethnicity", "Miao")),
    ("YI", "07", "彝族", pgettext_lazy("ethnicity", "Yi")),
    ("ZHUANG", "08", "壮族", pgettext_lazy("ethnicity", "Zhuang")),
    ("BUYEI", "09", "布依族", pgettext_lazy("ethnicity", "Buyei")),
    ("KOREAN", "10", "朝鲜族", pgettext_lazy("ethnicity", "Korean")),
    ("MANCHU", "11", "满族", pgettext_lazy("ethnicity", "Manchu")),
    ("DONG", "12", "侗族", pgettext_lazy("ethnicity", "Dong")),
    ("YAO", "13", "瑶族", pgettext_lazy("ethnicity", "Yao")),
    ("BAI", "14", "白族", pgettext_lazy("ethnicity", "Bai")),
    ("TUJIA", "15", "土家族", pgettext_lazy("ethnicity", "Tujia")),
    ("HANI", "16", "哈尼族", pgettext_lazy("ethnicity", "Hani")),
    ("KAZAK", "17", "哈萨克族", pgettext_lazy("ethnicity", "Kazak")),
    ("DAI", "18", "傣族", pgettext_lazy("ethnicity", "Dai")),
    ("LI", "19", "黎族", pgettext_lazy("ethnicity", "Li")),
    ("LISU", "20", "傈僳族", pgettext_lazy("ethnicity", "Lisu")),
    ("VA", "21", "佤族", pgettext_lazy("ethnicity", "Va")),
    ("SHE", "22", "畲族", pgettext_lazy("ethnicity", "She")),
    ("GAOSHAN", "23", "高山族", pgettext_lazy("ethnicity", "Gaoshan")),
    ("LAHU", "24", "拉祜族", pgettext_lazy("ethnicity", "Lahu")),
    ("SUI", "25", "水族", pgettext_lazy("ethnicity", "Sui")),
    ("DONGXIANG", "26", "东乡族", pgettext_lazy("ethnicity", "Dongxiang")),
    ("NAXI", "27", "纳西族", pgettext_lazy("ethnicity", "Naxi")),
    ("JINGPO", "28", "景颇族", pgettext_lazy("ethnicity", "Jingpo")),
    ("KIRGIZ", "29", "柯尔克孜族", pgettext_lazy("ethnicity", "Kirgiz")),
    ("TU", "30", "土族", pgettext_lazy("ethnicity", "Tu")),
    ("DAUR", "31", "达斡尔族", pgettext_lazy("ethnicity", "Daur")),
    ("MULAO", "32", "仫佬族", pgettext_lazy("ethnicity", "Mulao")),
    ("QIANG", "33", "羌族", pgettext_lazy("ethnicity", "Qiang")),
    ("BLANG", "34", "布朗族", pgettext_lazy("ethnicity", "Blang")),
    ("SALAR", "35", "撒拉族", pgettext_lazy("ethnicity", "Salar")),
    ("MAONAN", "36", "毛南族", pgettext_lazy("ethnicity", "Maonan")),
    ("GELAO", "37", "仡佬族", pgettext_lazy("ethnicity", "Gelao")),
    ("XIBE", "38", "锡伯族", pgettext_lazy("ethnicity", "Xibe")),
    ("ACHANG", "39", "阿昌族", pgettext_lazy("ethnicity", "Achang")),
    ("PUMI", "40", "普米族", pgettext_lazy("ethnicity", "Pumi")),
    ("TAJIK", "41", "塔吉克族", pgettext_lazy("ethnicity", "Tajik")),
    ("NU", "42", "怒族", pgettext_lazy("ethnicity", "Nu")),
    ("UZBEK", "43", "乌孜别克族", pgettext_lazy("ethnicity", "Uzbek")),
    ("RUSSIAN", "44", "俄罗斯族", pgettext_lazy("ethnicity", "Russian")),
    ("EWENKI", "45", "鄂温克族", pgettext_lazy("ethnicity", "Ewenki")),
    ("DEANG", "46", "德昂族", pgettext_lazy("ethnicity", "Deang")),
    ("BONAN", "47", "保安族", pgettext_lazy("ethnicity", "Bonan")),
    ("YUGUR", "48", "裕固族", pgettext_lazy("ethnicity", "Yugur")),
    ("GIN", "49", "京族", pgettext_lazy("ethnicity", "Gin")),
    ("TATAR", "50", "塔塔尔族", pgettext_lazy("ethnicity", "Tatar")),
    ("DERUNG", "51", "独龙族", pgettext_lazy("ethnicity", "Derung")),
    ("OROQEN", "52", "鄂伦春族", pgettext_lazy("ethnicity", "Oroqen")),
    ("HEZHEN", "53", "赫哲族", pgettext_lazy("ethnicity", "Hezhen")),
    ("MONBA", "54", "门巴族", pgettext_lazy("ethnicity", "Monba")),
    ("LHOBA", "55", "珞巴族", pgettext_lazy("ethnicity", "Lhoba")),
    ("JINO", "56", "基诺族", pgettext_lazy("ethnicity", "Jino")),
    ("OTHER", "97", "其他", pgettext_lazy("ethnicity", "Other")),
    ("FOREIGN_ORIGIN", "98", "外国血统中国籍人士", pgettext_lazy("ethnicity", "Of foreign origin")),
)

# GB/T 2261.2-2003 (婚姻状况代码).
MARITAL_STATUS_TABLE = (
    ("UNMARRIED", "10", "未婚", pgettext_lazy("marital status", "Unmarried")),
    ("MARRIED", "20", "已婚", pgettext_lazy("marital status", "Married")),
    ("FIRST_MARRIAGE", "21", "初婚", pgettext_lazy("marital status", "First marriage")),
    ("REMARRIED", "22", "再婚", pgettext_lazy("marital status", "Remarried")),
    ("REMARRIED_SAME", "23", "复婚", pgettext_lazy("marital status", "Remarried to the former spouse")),
    ("WIDOWED", "30", "丧偶", pgettext_lazy("marital status", "Widowed")),
    ("DIVORCED", "40", "离婚", pgettext_lazy("marital status", "Divorced")),
    ("UNSTATED", "90", "未说明的婚姻状况", pgettext_lazy("marital status", "Not stated")),
)

# GB/T 4658-2006 (学历代码): the levels (x0) and, under each, completed (毕业), finished without
# the diploma (结业) and left before the end (肄业).
EDUCATION_TABLE = (
    ("POSTGRADUATE", "10", "研究生教育", pgettext_lazy("education", "Postgraduate")),
    ("DOCTORATE", "11", "博士研究生毕业", pgettext_lazy("education", "Doctorate, completed")),
    ("DOCTORATE_FINISHED", "12", "博士研究生结业", pgettext_lazy("education", "Doctorate, finished")),
    ("DOCTORATE_LEFT", "13", "博士研究生肄业", pgettext_lazy("education", "Doctorate, left")),
    ("MASTER", "14", "硕士研究生毕业", pgettext_lazy("education", "Master's, completed")),
    ("MASTER_FINISHED", "15", "硕士研究生结业", pgettext_lazy("education", "Master's, finished")),
    ("MASTER_LEFT", "16", "硕士研究生肄业", pgettext_lazy("education", "Master's, left")),
    ("GRADUATE_CLASS", "17", "研究生班毕业", pgettext_lazy("education", "Postgraduate class, completed")),
    (
        "GRADUATE_CLASS_FINISHED",
        "18",
        "研究生班结业",
        pgettext_lazy("education", "Postgraduate class, finished"),
    ),
    ("GRADUATE_CLASS_LEFT", "19", "研究生班肄业", pgettext_lazy("education", "Postgraduate class, left")),
    ("BACHELOR_LEVEL", "20", "大学本科教育", pgettext_lazy("education", "Undergraduate")),
    ("BACHELOR", "21", "大学本科毕业", pgettext_lazy("education", "Undergraduate, completed")),
    ("BACHELOR_FINISHED", "22", "大学本科结业", pgettext_lazy("education", "Undergraduate, finished")),
    ("BACHELOR_LEFT", "23", "大学本科肄业", pgettext_lazy("education", "Undergraduate, left")),
    (
        "ORDINARY_CLASS",
        "28",
        "大学普通班毕业",
        pgettext_lazy("education", "University ordinary class, completed"),
    ),
    ("COLLEGE_LEVEL", "30", "大学专科教育", pgettext_lazy("education", "Junior college")),
    ("COLLEGE", "31", "大学专科毕业", pgettext_lazy("education", "Junior college, completed")),
    ("COLLEGE_FINISHED", "32", "大学专科结业", pgettext_lazy("education", "Junior college, finished")),
    ("COLLEGE_LEFT", "33", "大学专科肄业", pgettext_lazy("education", "Junior college, left")),
    ("VOCATIONAL_LEVEL", "40", "中等职业教育", pgettext_lazy("education", "Secondary vocational")),
    ("TECHNICAL", "41", "中等专科毕业", pgettext_lazy("education", "Technical secondary school, completed")),
    (
        "TECHNICAL_FINISHED",
        "42",
        "中等专科结业",
        pgettext_lazy("education", "Technical secondary school, finished"),
    ),
    ("TECHNICAL_LEFT", "43", "中等专科肄业", pgettext_lazy("education", "Technical secondary school, left")),
    ("VOCATIONAL", "44", "职业高中毕业", pgettext_lazy("education", "Vocational high school, completed")),
    (
        "VOCATIONAL_FINISHED",
        "45",
        "职业高中结业",
        pgettext_lazy("education", "Vocational high school, finished"),
    ),
    ("VOCATIONAL_LEFT", "46", "职业高中肄业", pgettext_lazy("education", "Vocational high school, left")),
    ("SKILLED", "47", "技工学校毕业", pgettext_lazy("education", "Skilled workers' school, completed")),
    (
        "SKILLED_FINISHED",
        "48",
        "技工学校结业",
        pgettext_lazy("education", "Skilled workers' school, finished"),
    ),
    ("SKILLED_LEFT", "49", "技工学校肄业", pgettext_lazy("education", "Skilled workers' school, left")),
    ("HIGH_SCHOOL_LEVEL", "60", "普通高级中学教育", pgettext_lazy("education", "Senior high school")),
    ("HIGH_SCHOOL", "61", "普通高中毕业", pgettext_lazy("education", "Senior high school, completed")),
    (
        "HIGH_SCHOOL_FINISHED",
        "62",
        "普通高中结业",
        pgettext_lazy("education", "Senior high school, finished"),
    ),
    ("HIGH_SCHOOL_LEFT", "63", "普通高中肄业", pgettext_lazy("education", "Senior high school, left")),
    ("JUNIOR_LEVEL", "70", "初级中学教育", pgettext_lazy("education", "Junior high school")),
    ("JUNIOR", "71", "初中毕业", pgettext_lazy("education", "Junior high school, completed")),
    ("JUNIOR_LEFT", "73", "初中肄业", pgettext_lazy("education", "Junior high school, left")),
    ("PRIMARY_LEVEL", "80", "小学教育", pgettext_lazy("education", "Primary school")),
    ("PRIMARY", "81", "小学毕业", pgettext_lazy("education", "Primary school, completed")),
    ("PRIMARY_LEFT", "83", "小学肄业", pgettext_lazy("education", "Primary school, left")),
    ("OTHER", "90", "其他", pgettext_lazy("education", "Other")),
)


def _choices(name: str, table) -> type[models.TextChoices]:
    return models.TextChoices(name, [(member, (code, label)) for member, code, _zh, label in table])


Ethnicity = _choices("Ethnicity", ETHNICITY_TABLE)
MaritalStatus = _choices("MaritalStatus", MARITAL_STATUS_TABLE)
Education = _choices("Education", EDUCATION_TABLE)


def _standard_names(table) -> dict[str, str]:
    return {zh: code for _member, code, zh, _label in table}


# What stations write besides the standard's names: the short forms of each table. A code or a
# standard name is always taken; these are the other spellings a cell may hold.
ETHNICITY_WORDS = {
    **_standard_names(ETHNICITY_TABLE),
    # an ethnic group's name without 族 (汉, 回, 蒙古 …)
    **{zh.removesuffix("族"): code for _m, code, zh, _l in ETHNICITY_TABLE if zh.endswith("族")},
    "外国血统": "98",
    "外国人入籍": "98",
}
MARITAL_STATUS_WORDS = {
    **_standard_names(MARITAL_STATUS_TABLE),
    "有配偶": "20",
    "离异": "40",
    "未说明": "90",
}
EDUCATION_WORDS = {
    **_standard_names(EDUCATION_TABLE),
    # a level named alone, as stations write it: the level's code (whether completed is not said)
    "研究生": "10",
    "博士": "11",
    "博士研究生": "11",
    "硕士": "14",
    "硕士研究生": "14",
    "本科": "20",
    "大学本科": "20",
    "大学": "20",
    "大专": "30",
    "专科": "30",
    "大学专科": "30",
    "中专": "41",
    "中等专科": "41",
    "职高": "44",
    "职业高中": "44",
    "技校": "47",
    "技工学校": "47",
    "高中": "60",
    "普通高中": "60",
    "初中": "70",
    "小学": "80",
    "文盲": "90",
    "半文盲": "90",
    "文盲或半文盲": "90",
}

# field -> (choices, words, standard): the three fields of a person kept in these tables
PERSON_CODE_FIELDS = {
    "ethnicity": (Ethnicity, ETHNICITY_WORDS, "GB/T 3304"),
    "marital_status": (MaritalStatus, MARITAL_STATUS_WORDS, "GB/T 2261.2"),
    "education": (Education, EDUCATION_WORDS, "GB/T 4658"),
}


def standard_name(field: str, code: str) -> str:
    """The standard's Chinese name of a code (what a spreadsheet for a station says), or the value
    itself when it is no code of the field's table."""
    for _member, value, zh, _label in _TABLES[field]:
        if value == code:
            return zh
    return code


_TABLES = {
    "ethnicity": ETHNICITY_TABLE,
    "marital_status": MARITAL_STATUS_TABLE,
    "education": EDUCATION_TABLE,
}
