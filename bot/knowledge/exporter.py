"""Exporter helper: which agreement and C/O form can apply to a product shipped to a country.

Reads ``data/knowledge/exporter_rules.yml`` (structured data, not FAQ entries)::

    as_of: 2026-11-26
    products:                       # what Cà Mau exports; synonyms are matched folded
      - name: tôm
        name_en: shrimp
        synonyms: [tôm sú, tôm thẻ, shrimp, prawn]
        hs_chapter: "03"
        hs_headings: ["0306", "1605"]
    destinations:
      - country: Hàn Quốc            # Vietnamese name, as in entry entities
        name_en: Korea
        aliases: [korea, south korea]
        agreements:
          - {agreement: AKFTA, co_form: AK}
          - {agreement: RCEP, co_form: RCEP}
    general_rule:                    # optional; the ATIGA rule below is the default text
      vi: ...
      en: ...
    lookups:                         # where PSRs and tariffs are officially published
      - {title: ..., url: ..., covers: [psr, tariff]}
    sources:
      - {title: ..., url: ..., checked: 2026-11-26}

The helper never states a tariff rate or a product-specific rule: it names the agreements and forms
the data lists, the general ATIGA origin rule, and where to look the rest up officially. A product
or country it does not know gets an honest "not in my data" and the trade office.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot import config
from bot.knowledge.entities import Vocabulary
from bot.knowledge.text import folded

RULES_FILE = config.PROJECT_ROOT / "data" / "knowledge" / "exporter_rules.yml"

GENERAL_RULE_VI = (
    "Quy tắc xuất xứ chung theo ATIGA: hàng có xuất xứ thuần túy (WO), hoặc hàng không thuần túy "
    "đạt hàm lượng giá trị khu vực RVC ≥ 40% hoặc chuyển đổi mã số hàng hóa ở cấp 4 số (CTH) — "
    "doanh nghiệp được chọn một trong hai. Nhiều mặt hàng có quy tắc cụ thể mặt hàng (PSR) "
    "thay cho quy tắc chung; các hiệp định ASEAN+1 và RCEP có quy tắc riêng."
)
GENERAL_RULE_EN = (
    "General ATIGA origin rule: wholly obtained goods (WO), or for other goods a regional value "
    "content of at least 40% (RVC 40%) or a change of tariff heading at the 4-digit level (CTH), "
    "at the exporter's choice. Many products have a product-specific rule (PSR) instead; the "
    "ASEAN+1 agreements and RCEP have their own rules."
)


@dataclass(frozen=True)
class Product:
    name: str
    name_en: str | None
    synonyms: tuple[str, ...]
    hs_chapter: str | None
    hs_headings: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    agreement: str
    co_form: str | None


@dataclass(frozen=True)
class Destination:
    country: str
    name_en: str | None
    aliases: tuple[str, ...]
    routes: tuple[Route, ...]


@dataclass(frozen=True)
class Lookup:
    title: str
    url: str | None
    covers: tuple[str, ...]


@dataclass
class ExporterRules:
    products: list[Product] = field(default_factory=list)
    destinations: list[Destination] = field(default_factory=list)
    lookups: list[Lookup] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    general_rule_vi: str = GENERAL_RULE_VI
    general_rule_en: str = GENERAL_RULE_EN
    as_of: dt.date | None = None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ExporterRules:
        general = raw.get("general_rule") or {}
        if isinstance(general, str):
            general = {"vi": general}
        return cls(
            products=[
                Product(
                    name=str(p["name"]),
                    name_en=p.get("name_en"),
                    synonyms=tuple(str(s) for s in p.get("synonyms") or ()),
                    hs_chapter=_code(p.get("hs_chapter")),
                    hs_headings=tuple(_code(h) for h in p.get("hs_headings") or () if h),
                )
                for p in raw.get("products") or ()
            ],
            destinations=[
                Destination(
                    country=str(d["country"]),
                    name_en=d.get("name_en"),
                    aliases=tuple(str(a) for a in d.get("aliases") or ()),
                    routes=tuple(
                        Route(str(r["agreement"]), r.get("co_form") and str(r["co_form"]))
                        for r in d.get("agreements") or ()
                    ),
                )
                for d in raw.get("destinations") or ()
            ],
            lookups=[
                Lookup(str(item["title"]), item.get("url"), tuple(item.get("covers") or ()))
                for item in raw.get("lookups") or raw.get("official_lookups") or ()
            ],
            sources=list(raw.get("sources") or ()),
            general_rule_vi=str(general.get("vi") or GENERAL_RULE_VI).strip(),
            general_rule_en=str(general.get("en") or GENERAL_RULE_EN).strip(),
            as_of=raw.get("as_of"),
        )

    def extend_vocabulary(self, vocabulary: Vocabulary) -> None:
        """Teach entity matching the products and destination spellings of these rules."""
        for product in self.products:
            names = [*product.synonyms, *([product.name_en] if product.name_en else [])]
            vocabulary.add("product", product.name, names)
        for destination in self.destinations:
            names = [*destination.aliases, *([destination.name_en] if destination.name_en else [])]
            vocabulary.add("country", destination.country, names)

    def product(self, name: str | None = None, hs_code: str | None = None) -> Product | None:
        if name:
            key = folded(name)
            for product in self.products:
                if key in {folded(n) for n in (product.name, *product.synonyms)}:
                    return product
        if hs_code:
            for product in self.products:
                if any(hs_code.startswith(h) or h.startswith(hs_code) for h in product.hs_headings):
                    return product
            for product in self.products:
                if product.hs_chapter and hs_code[:2] == product.hs_chapter:
                    return product
        return None

    def destination(self, country: str) -> Destination | None:
        key = folded(country)
        for destination in self.destinations:
            names = (destination.country, *destination.aliases, destination.name_en or "")
            if key in {folded(n) for n in names if n}:
                return destination
        return None


def _code(value: Any) -> str | None:
    if value is None:
        return None
    return re.sub(r"\D", "", str(value)).zfill(2) or None


@lru_cache(maxsize=4)
def _load_rules_file(path: Path, mtime: float) -> ExporterRules:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return ExporterRules.from_dict(raw)


def load_rules(path: Path = RULES_FILE) -> ExporterRules | None:
    """The exporter rules (re-read when the file changes); None while the file does not exist."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return None
    return _load_rules_file(path, mtime)


@dataclass(frozen=True)
class ExporterAnswer:
    text: str
    known: bool
    product: str | None
    country: str | None
    routes: tuple[Route, ...] = ()


def exporter_answer(
    rules: ExporterRules | None,
    *,
    product: str | None,
    hs_code: str | None,
    country: str,
    lang: str = "vi",
) -> ExporterAnswer:
    """What a business exporting ``product`` (or HS ``hs_code``) to ``country`` needs to know."""
    english = lang == "en"
    found_product = rules.product(product, hs_code) if rules else None
    destination = rules.destination(country) if rules else None
    product_label = _product_label(found_product, product, hs_code, english)
    if rules is None or destination is None or (found_product is None and not hs_code):
        return ExporterAnswer(
            _unknown_text(product_label, country, destination is None, english),
            known=False,
            product=found_product.name if found_product else product,
            country=destination.country if destination else country,
        )
    lines = []
    country_label = (destination.name_en or destination.country) if english else destination.country
    if english:
        lines.append(f"Exporting {product_label} to {country_label}: the agreements that can apply "
                     "and their certificates of origin (C/O):")
    else:
        lines.append(f"Xuất khẩu {product_label} sang {country_label}: các hiệp định có thể "
                     "áp dụng và mẫu C/O tương ứng:")
    for route in destination.routes:
        form = f"C/O {'form' if english else 'mẫu'} {route.co_form}" if route.co_form else "—"
        lines.append(f"- {route.agreement}: {form}")
    if english:
        lines.append("Choose the agreement with the better preferential tariff and origin rule for "
                     "your product; the goods must meet that agreement's rule of origin.")
    else:
        lines.append("Doanh nghiệp chọn hiệp định có thuế ưu đãi và quy tắc xuất xứ phù hợp nhất "
                     "với mặt hàng; hàng phải đáp ứng quy tắc xuất xứ của chính hiệp định đó.")
    lines.append(rules.general_rule_en if english else rules.general_rule_vi)
    if found_product and (found_product.hs_headings or found_product.hs_chapter):
        codes = ", ".join(found_product.hs_headings) or found_product.hs_chapter
        lines.append(f"HS codes usually used: {codes} (check your exact code)." if english else
                     f"Mã HS thường dùng: {codes} (cần xác định đúng mã của lô hàng).")
    lines.append(_lookup_text(rules.lookups, english))
    return ExporterAnswer(
        "\n".join(lines),
        known=True,
        product=found_product.name if found_product else None,
        country=destination.country,
        routes=destination.routes,
    )


def _product_label(product: Product | None, asked: str | None, hs: str | None, en: bool) -> str:
    if product is not None:
        return (product.name_en or product.name) if en else product.name
    if hs:
        return f"HS {hs}" if en else f"hàng mã HS {hs}"
    return asked or ("this product" if en else "mặt hàng này")


def _lookup_text(lookups: list[Lookup], english: bool) -> str:
    head = (
        "I do not give tariff rates or product-specific rules (PSR): check them officially at:"
        if english
        else "Mình không đưa mức thuế suất hay quy tắc cụ thể mặt hàng (PSR); hãy tra cứu chính "
        "thức tại:"
    )
    items = [f"- {item.title}" + (f" ({item.url})" if item.url else "") for item in lookups]
    office = config.OFFICE_TRADE
    tail = f"- {office}" + (" (for guidance)" if english else " (để được hướng dẫn)")
    return "\n".join([head, *items, tail])


def _unknown_text(product_label: str, country: str, country_unknown: bool, english: bool) -> str:
    office = config.OFFICE_TRADE
    if english:
        missing = f"exports to {country}" if country_unknown else product_label
        return (f"I do not have reliable data on {missing} yet, so I cannot say which agreement or "
                f"C/O form applies. Please contact {office} for guidance.")
    missing = f"xuất khẩu sang {country}" if country_unknown else f"mặt hàng {product_label}"
    return (f"Mình chưa có dữ liệu chắc chắn về {missing} nên chưa thể nói hiệp định hay mẫu C/O "
            f"nào áp dụng. Bạn vui lòng liên hệ {office} để được hướng dẫn.")
