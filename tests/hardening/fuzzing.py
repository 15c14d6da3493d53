"""Deterministic generators of hostile and odd input for the fuzz tests (fixed seed)."""

from __future__ import annotations

import json
import random

SEED = 20261203

_PIECES = [
    "xin chào", "ASEAN là gì?", "c/o mau d xin o dau", "tuần sau có hội thảo gì", "hủy DK-7K3F9Q",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "'; DROP TABLE events; --",
    "😀😀😀", "🇻🇳", "ﷺ", "مرحبا", "שלום", "你好", "こんにちは", "Привет", "\u200b\u200d\u2060",
    "\u202e", "e\u0301\u0302\u0303", "0912 345 678", "an.nguyen@gmail.com", "http://x.vn/a?b=c",
    "/register_event{\"event_id\": 1}", "/restart", "/nlu_fallback", "{{7*7}}", "${jndi:x}",
    "%s%s%n", "\\x00", "../../etc/passwd", "NaN", "null", "Infinity", "9" * 40, "1e309",
    "Kính gửi Sở Công Thương, công ty chúng tôi xuất khẩu tôm (HS 0306.17) sang Thái Lan",
    "asean thanh lap nam nao", "ko bít j hết", "Do I need a visa for Malaysia?",
]


def messages(count: int, seed: int = SEED) -> list[str]:
    """``count`` message texts: pieces, random Unicode, control characters, long words, huge."""
    rng = random.Random(seed)
    out: list[str] = []
    for index in range(count):
        kind = index % 8
        if kind == 0:
            out.append(rng.choice(_PIECES))
        elif kind == 1:
            out.append(" ".join(rng.choice(_PIECES) for _ in range(rng.randint(2, 6))))
        elif kind == 2:  # random code points, including controls and private use
            out.append("".join(chr(rng.choice([rng.randint(1, 0x2FFF), rng.randint(0xE000, 0xFFFD),
                                               rng.randint(0x1F300, 0x1FAFF)]))
                               for _ in range(rng.randint(1, 40))))
        elif kind == 3:
            out.append(rng.choice(["", " ", "\n\t", "\x00", "\x07\x1b[31m", "   \u3000 "]))
        elif kind == 4:  # one long word
            out.append(rng.choice("aăâbcdđ1@.") * rng.randint(100, 3000))
        elif kind == 5:  # over the cap: the polite "too long" path
            out.append(rng.choice(["a@", "1 ", "chữ "]) * rng.randint(2100, 25_000))
        elif kind == 6:
            out.append(rng.choice(_PIECES).upper() + "?" * rng.randint(1, 50))
        else:
            out.append(rng.choice(_PIECES)[::-1])
    return out


def malformed_bodies(count: int, seed: int = SEED) -> list[bytes]:
    """``count`` request bodies that are not a valid ``{"sender", "message"}`` object."""
    rng = random.Random(seed + 1)
    fixed: list[bytes] = [
        b"", b"null", b"[]", b"123", b'"x"', b"true", b"{", b"{not json}", b"\xff\xfe\x00",
        b'{"sender":"a\\ud800b","message":"xin ch\\u00e0o"}',
        b'{"sender":"ok","message":"\\udfff"}', b'{"message":"no sender"}', b'{"sender":"x"}',
        b'{"sender":"","message":"hi"}', b'{"sender":null,"message":"hi"}',
        b'{"sender":["a"],"message":"hi"}', b'{"sender":{"a":1},"message":"hi"}',
        b'{"sender":"x","message":null}', b'{"sender":"x","message":123}',
        b'{"sender":"x","message":{"text":"hi"}}', b'{"sender":"x","message":"hi","metadata":5}',
        b'{"sender":"x","message":"hi","metadata":"m"}',
        b'{"sender":"x","message":"hi","input_channel":"zalo"}',
        b"[" * 5000 + b"]" * 5000,
    ]
    bodies = list(fixed)
    odd_values = [None, 1, -1, 1.5, True, [], {}, "", "a" * 300, "\u0000", "../x", "ö" * 200]
    while len(bodies) < count:
        body = {}
        for key in ("sender", "message", "metadata"):
            if rng.random() < 0.8:
                body[key] = rng.choice(odd_values)
        bodies.append(json.dumps(body).encode())
    return bodies[:count]
