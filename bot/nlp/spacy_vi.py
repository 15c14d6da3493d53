"""A spaCy ``vi`` pipeline whose tokenizer is underthesea (words, spans and POS tags).

Rasa's ``SpacyNLP`` loads it from ``bot/nlp/spacy_vi/`` (see config.yml). The tokenizer is found
through the ``spacy_tokenizers`` entry point declared in pyproject.toml, so ``rasa train`` needs no
extra step. spaCy tokens may contain spaces ("quy tắc"), as in spaCy's own Vietnamese support.

Build the pipeline folder again (only needed if this file's config changes)::

    python -m bot.nlp.spacy_vi
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from spacy.tokens import Doc
from spacy.vocab import Vocab

from bot.nlp.segment import analyze

TOKENIZER_NAME = "vi_underthesea_tokenizer.v1"
PIPELINE_DIR = Path(__file__).resolve().parent / "spacy_vi"

# underthesea (VLSP) tags → Universal POS, so spaCy's token.pos_ is meaningful too.
_UPOS = {
    "N": "NOUN", "Np": "PROPN", "Nc": "NOUN", "Nu": "NOUN", "Ny": "PROPN", "Nb": "NOUN",
    "V": "VERB", "Vb": "VERB", "A": "ADJ", "Ab": "ADJ", "P": "PRON", "R": "ADV", "L": "DET",
    "M": "NUM", "E": "ADP", "C": "CCONJ", "Cc": "CCONJ", "I": "INTJ", "T": "PART", "B": "X",
    "Y": "X", "Z": "X", "S": "X", "X": "X", "CH": "PUNCT",
}


class UndertheseaTokenizer:
    """Callable spaCy tokenizer: text → Doc with underthesea words, tags (tag_) and UPOS (pos_)."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        words: list[str] = []
        spaces: list[bool] = []
        tags: list[str] = []
        cursor = 0
        for word in analyze(text):
            gap = text[cursor:word.start]
            if gap:
                if gap == " " and words:
                    spaces[-1] = True
                else:  # unusual whitespace becomes a whitespace token, as spaCy itself does
                    words.append(gap)
                    spaces.append(False)
                    tags.append("_SP")
            words.append(word.text)
            spaces.append(False)
            tags.append(word.tag)
            cursor = word.end
        if cursor < len(text):
            words.append(text[cursor:])
            spaces.append(False)
            tags.append("_SP")
        pos = ["SPACE" if tag == "_SP" else _UPOS.get(tag, "X") for tag in tags]
        lemmas = [w.lower() for w in words]
        return Doc(self.vocab, words=words, spaces=spaces, tags=tags, pos=pos, lemmas=lemmas)

    # Nothing to save: the segmentation model ships inside the underthesea package.
    def to_disk(self, path: Path, **_: object) -> None:
        pass

    def from_disk(self, path: Path, **_: object) -> UndertheseaTokenizer:
        return self

    def to_bytes(self, **_: object) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **_: object) -> UndertheseaTokenizer:
        return self


def create_tokenizer() -> Callable[[object], UndertheseaTokenizer]:
    """spaCy registry factory (entry point ``spacy_tokenizers``)."""

    def make(nlp: object) -> UndertheseaTokenizer:
        return UndertheseaTokenizer(nlp.vocab)  # type: ignore[attr-defined]

    return make


def build_pipeline(path: Path = PIPELINE_DIR) -> Path:
    """Write the (weightless) ``vi`` pipeline folder that config.yml points at."""
    import spacy

    nlp = spacy.blank("vi", config={"nlp": {"tokenizer": {"@tokenizers": TOKENIZER_NAME}}})
    nlp.meta.update(
        {
            "name": "underthesea",
            "version": "1.0.0",
            "description": "Vietnamese: underthesea word segmentation and POS tags inside spaCy",
        }
    )
    nlp.to_disk(path)
    return path


if __name__ == "__main__":
    print(build_pipeline())
