"""Words people use for event kinds, audiences, topics and places, and their canonical values.

The NLU maps entities to the canonical values of CONTRIBUTING.md through synonyms; this table does
the same for raw text, so a query still works when the NLU misses an entity (and for evaluation).
Phrases are written folded (no diacritics, lower-case) because they are matched on ``search_key``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.nlp.normalize import search_key

KIND_PHRASES: dict[str, tuple[str, ...]] = {
    "hoi_nghi": ("hoi nghi", "hoi nghi cap cao", "thuong dinh", "conference", "summit", "meeting"),
    "hoi_thao": ("hoi thao", "dien dan", "workshop", "seminar", "forum", "webinar"),
    "tap_huan": (
        "tap huan", "dao tao", "boi duong", "lop hoc", "huong dan nghiep vu",
        "training", "course",
    ),
    "toa_dam": ("toa dam", "talkshow", "talk show", "panel"),
    "trien_lam": ("trien lam", "trung bay", "exhibition", "expo"),
    "hoi_cho": ("hoi cho", "phien cho", "trade fair", "fair"),
    "cuoc_thi": ("cuoc thi", "hoi thi", "thi tim hieu", "contest", "competition", "quiz"),
    "giao_luu": (
        "giao luu", "van nghe", "the thao", "giai dau", "exchange", "cultural", "sports",
    ),
    "livestream": ("livestream", "live stream", "phat truc tiep", "ban hang truc tuyen"),
}

AUDIENCE_PHRASES: dict[str, tuple[str, ...]] = {
    "doanh_nghiep": (
        "doanh nghiep", "doanh nhan", "cong ty", "hop tac xa", "htx", "nha xuat khau",
        "business", "businesses", "company", "companies", "sme", "smes", "exporters",
    ),
    "hoc_sinh_sinh_vien": (
        "hoc sinh", "sinh vien", "hoc vien", "student", "students",
        "pupils",
    ),
    "giao_vien": ("giao vien", "giang vien", "thay co", "nha giao", "teacher", "teachers"),
    "can_bo": (
        "can bo", "cong chuc", "vien chuc", "co quan nha nuoc", "official", "officials",
        "civil servants",
    ),
    "nguoi_dan": (
        "nguoi dan", "ba con", "moi nguoi", "nong dan", "ngu dan", "citizens",
        "public", "residents",
    ),
    "nguoi_nuoc_ngoai": (
        "nguoi nuoc ngoai", "du khach quoc te", "khach quoc te", "foreigners", "foreigner",
        "expats", "international visitors",
    ),
}

TOPIC_PHRASES: dict[str, tuple[str, ...]] = {
    "rules_of_origin": ("quy tac xuat xu", "xuat xu", "c/o", "co form", "rules of origin"),
    "ecommerce": (
        "thuong mai dien tu", "tmdt", "ban hang online", "ban hang truc tuyen", "e-commerce",
        "ecommerce",
    ),
    "digital_economy": ("kinh te so", "chuyen doi so", "digital economy", "digital"),
    "tourism": ("du lich", "tourism", "travel"),
    "export": ("xuat khau", "xuat nhap khau", "export", "exports"),
    "trade_promotion": ("xuc tien thuong mai", "ket noi giao thuong", "trade promotion"),
    "seafood": ("thuy san", "tom", "tom su", "con cua", "cua ca mau", "seafood", "shrimp", "crab"),
    "rice": ("gao", "lua gao", "rice"),
    "ocop": ("ocop",),
    "culture": ("van hoa", "culture"),
    "sports": ("the thao", "sports"),
    "asean_knowledge": ("tim hieu asean", "kien thuc asean"),
    "diplomacy": ("ngoai giao", "doi ngoai", "diplomacy", "foreign affairs"),
    "logistics": ("logistics", "van tai", "kho van"),
    "agriculture": ("nong nghiep", "agriculture"),
}

# Places: canonical key (folded) → phrases. Checked against an event's city/venue/address.
PLACE_PHRASES: dict[str, tuple[str, ...]] = {
    "ca mau": ("ca mau",),
    "bac lieu": ("bac lieu",),
    "ha noi": ("ha noi", "hanoi"),
    "tp ho chi minh": ("tp hcm", "tphcm", "ho chi minh", "sai gon", "saigon", "hcmc"),
    "can tho": ("can tho",),
    "manila": ("manila", "pasay"),
    "cebu": ("cebu",),
    "philippines": ("philippines", "phi-lip-pin", "philippin"),
    "singapore": ("singapore", "xin-ga-po"),
    "kuala lumpur": ("kuala lumpur",),
    "malaysia": ("malaysia",),
    "online": ("truc tuyen", "online", "zoom"),
}

KIND_LABELS_VI = {
    "hoi_nghi": "hội nghị", "hoi_thao": "hội thảo", "tap_huan": "tập huấn", "toa_dam": "tọa đàm",
    "trien_lam": "triển lãm", "hoi_cho": "hội chợ", "cuoc_thi": "cuộc thi",
    "giao_luu": "giao lưu văn hóa, thể thao", "livestream": "livestream", "other": "sự kiện",
}
KIND_LABELS_EN = {
    "hoi_nghi": "conference", "hoi_thao": "workshop", "tap_huan": "training", "toa_dam": "talk",
    "trien_lam": "exhibition", "hoi_cho": "fair", "cuoc_thi": "contest",
    "giao_luu": "cultural/sports exchange", "livestream": "livestream", "other": "event",
}
AUDIENCE_LABELS_VI = {
    "doanh_nghiep": "doanh nghiệp", "hoc_sinh_sinh_vien": "học sinh, sinh viên",
    "giao_vien": "giáo viên", "can_bo": "cán bộ", "nguoi_dan": "người dân",
    "nguoi_nuoc_ngoai": "người nước ngoài",
}
AUDIENCE_LABELS_EN = {
    "doanh_nghiep": "businesses", "hoc_sinh_sinh_vien": "students", "giao_vien": "teachers",
    "can_bo": "officials", "nguoi_dan": "the public", "nguoi_nuoc_ngoai": "foreigners",
}


@lru_cache(maxsize=8)
def _pattern(table_id: str) -> list[tuple[re.Pattern[str], str]]:
    table = {
        "kind": KIND_PHRASES, "audience": AUDIENCE_PHRASES, "topic": TOPIC_PHRASES,
        "place": PLACE_PHRASES,
    }[table_id]
    # Longest phrases first so "hoi nghi cap cao" wins over a shorter overlapping phrase.
    pairs = sorted(
        ((phrase, value) for value, phrases in table.items() for phrase in phrases),
        key=lambda pair: -len(pair[0]),
    )
    # An optional plural "s" serves the English phrases ("contests", "fairs").
    return [(re.compile(rf"(?<![\w/]){re.escape(p)}s?(?![\w/])"), v) for p, v in pairs]


def find_all(table_id: str, key: str) -> list[str]:
    """Canonical values whose phrases occur in the folded text ``key``, in order of appearance."""
    hits: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for pattern, value in _pattern(table_id):
        for match in pattern.finditer(key):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue  # part of a longer phrase already matched
            taken.append(span)
            hits.append((span[0], value))
    return list(dict.fromkeys(value for _, value in sorted(hits)))


def find_first(table_id: str, key: str) -> str | None:
    found = find_all(table_id, key)
    return found[0] if found else None


def canonical(table_id: str, value: str | None) -> str | None:
    """Map an entity value (canonical already, or a phrase/synonym) to its canonical value."""
    if not value:
        return None
    table = {
        "kind": KIND_PHRASES, "audience": AUDIENCE_PHRASES, "topic": TOPIC_PHRASES,
        "place": PLACE_PHRASES,
    }[table_id]
    key = search_key(str(value)).replace("-", "_") if table_id != "place" else search_key(value)
    if key in table:
        return key
    found = find_first(table_id, search_key(str(value)))
    if found:
        return found
    # Unknown topics and places are still useful as free text.
    return search_key(str(value)) if table_id in ("topic", "place") else None
