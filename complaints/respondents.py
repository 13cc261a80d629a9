"""The unit complained about (被投诉单位), as typed by complainants, compared across cases and with departments:
repeats and 类案 are counted per respondent, and a complainant's identity is never revealed to the unit they
complain about."""

from __future__ import annotations

import functools
import re
import unicodedata

_NOT_CHARACTERS = re.compile(r"[\W_]+", re.UNICODE)
SHORTEST_UNIT_NAME = 4  # 市税务局: a shorter key would match inside too many names


PLACEHOLDER_RESPONDENT = re.compile(
    r"(?:不详|不明|无|没有|未知|不知道?|不清楚|不确定|暂无|暂不清楚|其他|其它|待定|待查|未提供|未填写?|空|略"
    r"|na|none|null|某单位|某部门|有关部门|相关部门|有关单位|相关单位)*"
)
RESPONDENT_ALIASES = (
    ("中华人民共和国", ""),
    ("国家税务总局", ""),
    ("人民政府", "政府"),
    ("监督管理", "监管"),
    ("城市管理", "城管"),
    ("综合行政执法", "综合执法"),
    ("行政执法", "执法"),
    ("生态环境保护", "生态环境"),
    ("环境保护", "生态环境"),
    ("环保", "生态环境"),
    ("人力资源和社会保障", "人社"),
    ("人力资源社会保障", "人社"),
    ("住房和城乡建设", "住建"),
    ("住房城乡建设", "住建"),
    ("交通警察", "交警"),
    ("交通运输", "交通"),
)


@functools.lru_cache(maxsize=4096)
def respondent_key(respondent: str) -> str:
    """The respondent as compared: no spaces or punctuation, official long forms in their usual short form
    (市场监督管理局 = 市场监管局, 环保局 = 生态环境局); empty when it names nobody (不详, 无, 有关部门)."""
    key = _NOT_CHARACTERS.sub("", unicodedata.normalize("NFKC", respondent).lower())
    for long_form, short_form in RESPONDENT_ALIASES:
        key = key.replace(long_form, short_form)
    return "" if PLACEHOLDER_RESPONDENT.fullmatch(key) else key[:200]


def names_department(respondent: str, department_name: str) -> bool:
    """Whether the respondent as typed is the department (or one of its parts: 市市场监管局执法大队)."""
    unit, named = respondent_key(department_name), respondent_key(respondent)
    return len(unit) >= SHORTEST_UNIT_NAME and unit in named
