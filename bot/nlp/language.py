"""Which language a message is in: Vietnamese, English, or something the bot cannot read.

Deliberately tiny and offline (underthesea's language models are not available offline): script
counts first (Thai, Chinese, Khmer... → "other"), then Vietnamese letters, then for plain ASCII a
vote between common English words and common Vietnamese syllables typed without marks.

>>> detect_language("ASEAN có bao nhiêu nước?"), detect_language("how many members does ASEAN have")
('vi', 'en')
>>> detect_language("asean co bao nhieu nuoc"), detect_language("อาเซียนคืออะไร")
('vi', 'other')
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Language = Literal["vi", "en", "other"]

_WORD = re.compile(r"[a-z]+")
_ENGLISH = frozenset(
    """the a an is are was were be been do does did what which who whom whose how when where why
    can could should would will shall may might must i you he she we they it my your our their me
    us them this that these those of to in on at for from with about into and or but not no yes
    please thanks thank hello hi hey there here any some much many more most need want know tell
    get apply work study travel visa event events rules origin certificate form tariff tariffs
    agreement member members country countries does have has free trade export exports import
    upcoming next week month year today tomorrow register remind me"""
    .split()
)
_VIETNAMESE = frozenset(
    """la gi co khong ko k duoc dc nao the nay kia toi minh ban anh chi em ad oi a nhe nhi vay sao
    nhu thang tuan ngay nam sau toi truoc cua cho voi va hay hoac nhung cac mot hai ba bon nam
    xin hoi muon can biet giup lam o dau bao nhieu gio khi nuoc viet hoi thao hoi nghi su kien
    dang ky mau quy tac xuat xu thue hang hoa doanh nghiep tinh ca mau thi di hoc nguoi dan
    chao cam on tam biet khoe roi chua day nhe uh u da vang duoc thong tin ve tai trong"""
    .split()
)
# Scripts the bot cannot answer in (letters of these blocks make a message "other").
_FOREIGN_SCRIPTS = ("THAI", "LAO", "KHMER", "MYANMAR", "CJK", "HIRAGANA", "KATAKANA", "HANGUL",
                    "CYRILLIC", "ARABIC", "HEBREW", "DEVANAGARI", "TAMIL", "GREEK", "BENGALI")


def _script(ch: str) -> str:
    try:
        return unicodedata.name(ch).split(" ")[0]
    except ValueError:
        return ""


def detect_language(text: str) -> Language:
    """Best guess of the message language; Vietnamese when there is nothing to go on."""
    letters = [ch for ch in text or "" if ch.isalpha()]
    if not letters:
        return "vi"
    foreign = sum(1 for ch in letters if _script(ch) in _FOREIGN_SCRIPTS)
    if foreign / len(letters) > 0.3:
        return "other"
    if any(not ch.isascii() for ch in letters):
        return "vi"  # Latin letters with Vietnamese marks (or đ)
    words = _WORD.findall(text.lower())
    english = sum(1 for w in words if w in _ENGLISH)
    vietnamese = sum(1 for w in words if w in _VIETNAMESE)
    return "en" if english > vietnamese else "vi"
