"""Exporter helper: which agreement and C/O form can apply to a product shipped to a country.

Reads ``data/knowledge/exporter_rules.yml`` (structured data written by the content team, not FAQ
entries; its header explains each field). What the helper uses::

    products:      [{name, synonyms, hs_chapter, hs_heading, processed_hs_heading, seafood, faq}]
    destinations:  [{country, synonyms, asean, agreements: [{agreement, co_form, awsc,
                     in_force_confirmed}], other_forms: [{co_form, note, note_en}], note, note_en,
                     faq}]
    lookups:       [{what, what_en, where, where_en, url}]
    seafood_origin_note(_en), rcep_in_force_note(_en), choice_note(_en), asean_faq
    country_names_en: {Vietnamese country name: English display name} for other countries
    contact:       {office_en}

English answers use only English names (``name_en``, ``what_en``, ``where_en``, ``office_en``);
a name the data has no English for is shown as written.

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
    seafood: bool = False
    faq: tuple[str, ...] = ()
    ambiguous: bool = False  # the name folds onto a common word: needs its marks


@dataclass(frozen=True)
class Route:
    agreement: str
    co_form: str | None
    awsc: bool = False
    in_force_confirmed: bool = True


@dataclass(frozen=True)
class OtherForm:
    co_form: str
    note: str | None
    note_en: str | None


@dataclass(frozen=True)
class Destination:
    country: str
    name_en: str | None
    aliases: tuple[str, ...]
    routes: tuple[Route, ...]
    asean: bool = False
    other_forms: tuple[OtherForm, ...] = ()
    note: str | None = None
    note_en: str | None = None
    faq: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lookup:
    title: str
    url: str | None
    title_en: str | None = None
    where: str | None = None
    where_en: str | None = None


@dataclass
class ExporterRules:
    products: list[Product] = field(default_factory=list)
    destinations: list[Destination] = field(default_factory=list)
    lookups: list[Lookup] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # seafood_origin_note, choice_note_en...
    asean_faq: str | None = None
    general_rule_vi: str = GENERAL_RULE_VI
    general_rule_en: str = GENERAL_RULE_EN
    as_of: dt.date | None = None
    country_names_en: dict[str, str] = field(default_factory=dict)
    office_en: str | None = None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ExporterRules:
        general = raw.get("general_rule") or {}
        if isinstance(general, str):
            general = {"vi": general}
        return cls(
            products=[_product(p) for p in raw.get("products") or ()],
            destinations=[_destination(d) for d in raw.get("destinations") or ()],
            lookups=[
                Lookup(
                    title=str(item.get("what") or item.get("title") or ""),
                    url=item.get("url"),
                    title_en=item.get("what_en"),
                    where=item.get("where"),
                    where_en=item.get("where_en"),
                )
                for item in raw.get("lookups") or ()
            ],
            notes={
                key: " ".join(str(value).split())
                for key, value in raw.items()
                if key.endswith(("_note", "_note_en")) and value
            },
            asean_faq=raw.get("asean_faq"),
            general_rule_vi=str(general.get("vi") or GENERAL_RULE_VI).strip(),
            general_rule_en=str(general.get("en") or GENERAL_RULE_EN).strip(),
            as_of=raw.get("as_of"),
            country_names_en={str(k): str(v) for k, v in
                              (raw.get("country_names_en") or {}).items()},
            office_en=(raw.get("contact") or {}).get("office_en"),
        )

    def extend_vocabulary(self, vocabulary: Vocabulary) -> None:
        """Teach entity matching the products and destination spellings of these rules."""
        for product in self.products:
            names = [*product.synonyms, *([product.name_en] if product.name_en else [])]
            vocabulary.add("product", product.name, names, ambiguous=product.ambiguous)
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

    def country_name(self, country: str, en: bool) -> str:
        """How to name ``country`` in an answer ("Nhật Bản" / "Japan")."""
        if not en:
            return country
        destination = self.destination(country)
        if destination is not None and destination.name_en:
            return destination.name_en
        return self.country_names_en.get(country, country)

    def office(self, en: bool) -> str:
        """The trade office, in English for English answers."""
        if en and self.office_en:
            return f"the {self.office_en} ({config.OFFICE_TRADE})"
        return config.OFFICE_TRADE

    def destination(self, country: str) -> Destination | None:
        key = folded(country)
        for destination in self.destinations:
            names = (destination.country, *destination.aliases, destination.name_en or "")
            if key in {folded(n) for n in names if n}:
                return destination
        return None


def _ids(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


def _product(raw: dict[str, Any]) -> Product:
    headings = [raw.get("hs_heading"), raw.get("processed_hs_heading"),
                *(raw.get("hs_headings") or ())]
    return Product(
        name=str(raw["name"]),
        name_en=raw.get("name_en"),
        synonyms=tuple(str(s) for s in raw.get("synonyms") or ()),
        hs_chapter=_code(raw.get("hs_chapter")),
        hs_headings=tuple(dict.fromkeys(c for c in map(_code, headings) if c)),
        seafood=bool(raw.get("seafood")),
        faq=_ids(raw.get("faq")),
        ambiguous=bool(raw.get("ambiguous_when_folded")),
    )


def _destination(raw: dict[str, Any]) -> Destination:
    return Destination(
        country=str(raw["country"]),
        name_en=raw.get("name_en"),
        aliases=tuple(str(a) for a in (raw.get("synonyms") or raw.get("aliases") or ())),
        routes=tuple(
            Route(
                agreement=str(r["agreement"]),
                co_form=r.get("co_form") and str(r["co_form"]),
                awsc=bool(r.get("awsc")),
                in_force_confirmed=r.get("in_force_confirmed", True) is not False,
            )
            for r in raw.get("agreements") or ()
        ),
        asean=bool(raw.get("asean")),
        other_forms=tuple(
            OtherForm(str(o["co_form"]), o.get("note"), o.get("note_en"))
            for o in raw.get("other_forms") or ()
        ),
        note=raw.get("note") and " ".join(str(raw["note"]).split()),
        note_en=raw.get("note_en") and " ".join(str(raw["note_en"]).split()),
        faq=_ids(raw.get("faq")),
    )


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
    related_ids: tuple[str, ...] = ()  # FAQ entries that explain more (offered as buttons)


def exporter_answer(
    rules: ExporterRules | None,
    *,
    product: str | None,
    hs_code: str | None,
    country: str,
    lang: str = "vi",
) -> ExporterAnswer:
    """What a business exporting ``product`` (or HS ``hs_code``) to ``country`` needs to know."""
    en = lang == "en"
    found = rules.product(product, hs_code) if rules else None
    destination = rules.destination(country) if rules else None
    label = _product_label(found, product, hs_code, en)
    if rules is None or destination is None or (found is None and not hs_code):
        where = rules.country_name(country, en) if rules else country
        office = rules.office(en) if rules else config.OFFICE_TRADE
        return ExporterAnswer(
            _unknown_text(label, where, destination is None, en, office),
            known=False,
            product=found.name if found else product,
            country=destination.country if destination else country,
        )
    where = rules.country_name(destination.country, en)
    lines = []
    if destination.routes:
        lines.append(
            f"Exporting {label} to {where}: agreements that can apply and their C/O forms:" if en
            else f"Xuất khẩu {label} sang {where}: các hiệp định có thể áp dụng và mẫu C/O:"
        )
        for route in destination.routes:
            lines.append(_route_line(route, en))
        for other in destination.other_forms:
            note = (other.note_en if en else other.note) or ""
            lines.append(f"- {'also' if en else 'ngoài ra'}: C/O {'form' if en else 'mẫu'} "
                         f"{other.co_form}" + (f" ({note})" if note else ""))
    if destination.note_en if en else destination.note:
        lines.append(destination.note_en if en else destination.note)
    if len(destination.routes) > 1:
        lines.append(_note(rules, "choice_note", en))
    if any(not r.in_force_confirmed for r in destination.routes):
        lines.append(_note(rules, "rcep_in_force_note", en) or "")
    lines.append(rules.general_rule_en if en else rules.general_rule_vi)
    if found is not None and found.seafood and _note(rules, "seafood_origin_note", en):
        lines.append(_note(rules, "seafood_origin_note", en))
    if found is not None and (found.hs_headings or found.hs_chapter):
        chapter = f"{'chapter' if en else 'chương'} {found.hs_chapter}"
        codes = ", ".join(found.hs_headings) or chapter
        lines.append(f"HS codes usually concerned: {codes} (confirm your exact code)." if en else
                     f"Mã HS thường liên quan: {codes} (cần xác định đúng mã của lô hàng).")
    lines.append(_lookup_text(rules.lookups, en, rules.office(en)))
    related = [*destination.faq, *((rules.asean_faq,) if destination.asean and rules.asean_faq
                                   else ()), *(found.faq if found else ())]
    return ExporterAnswer(
        "\n".join(line for line in lines if line),
        known=bool(destination.routes),
        product=found.name if found else None,
        country=destination.country,
        routes=destination.routes,
        related_ids=tuple(dict.fromkeys(related)),
    )


def _route_line(route: Route, en: bool) -> str:
    form = f"C/O {'form' if en else 'mẫu'} {route.co_form}" if route.co_form else "—"
    extras = []
    if route.awsc:
        extras.append("certified exporters may self-certify (AWSC)" if en
                      else "doanh nghiệp đủ điều kiện có thể tự chứng nhận xuất xứ (AWSC)")
    if not route.in_force_confirmed:
        extras.append("in-force date with this country not in our data" if en
                      else "ngày có hiệu lực với nước này chưa có trong dữ liệu")
    return f"- {route.agreement}: {form}" + (f" ({'; '.join(extras)})" if extras else "")


def _note(rules: ExporterRules, name: str, en: bool) -> str:
    return rules.notes.get(f"{name}_en" if en else name, "")


def _product_label(product: Product | None, asked: str | None, hs: str | None, en: bool) -> str:
    if product is not None:
        return (product.name_en or product.name) if en else product.name
    if hs:
        return f"HS {hs}" if en else f"hàng mã HS {hs}"
    return asked or ("this product" if en else "mặt hàng này")


def _lookup_text(lookups: list[Lookup], en: bool, office: str) -> str:
    head = (
        "I never quote tariff rates or product-specific rules (PSR); official sources:" if en
        else "Mình không đưa thuế suất hay quy tắc cụ thể mặt hàng (PSR); tra cứu chính thức tại:"
    )
    items = []
    for item in lookups:
        title = (item.title_en or item.title) if en else item.title
        place = (item.where_en or item.where) if en else item.where
        where = f": {place}" if place else ""
        items.append(f"- {title}{where}" + (f" ({item.url})" if item.url else ""))
    items.append(f"- {office}" + (" (for guidance)" if en else " (để được hướng dẫn)"))
    return "\n".join([head, *items])


def _unknown_text(
    product_label: str, country: str, country_unknown: bool, english: bool, office: str
) -> str:
    if english:
        missing = f"exports to {country}" if country_unknown else f'"{product_label}"'
        return (f"I do not have reliable data on {missing} yet, so I cannot say which agreement or "
                f"C/O form applies. Please contact {office} for guidance.")
    missing = f"xuất khẩu sang {country}" if country_unknown else f"mặt hàng {product_label}"
    return (f"Mình chưa có dữ liệu chắc chắn về {missing} nên chưa thể nói hiệp định hay mẫu C/O "
            f"nào áp dụng. Bạn vui lòng liên hệ {office} để được hướng dẫn.")
