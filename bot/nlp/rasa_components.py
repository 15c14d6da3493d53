"""Rasa graph components for Vietnamese, used by config.yml.

- ``VietnameseNormalizer`` runs first: it rewrites the message text with the project's normaliser
  (so the spaCy/underthesea tokenizer and every featurizer see one spelling), moves the entity spans
  of training examples accordingly, caps very long messages, and records the message language.
- ``FoldedCountVectorsFeaturizer`` is Rasa's CountVectorsFeaturizer over diacritic-folded tokens, so
  "quy tac xuat xu" and "quy tắc xuất xứ" produce the same features.
- ``InputGuard`` runs last: messages in a script the bot cannot read get ``unsupported_language``,
  messages without a single letter or digit (emoji only, punctuation) get ``nlu_fallback``.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import rasa_runtime
from bot.nlp.language import detect_language
from bot.nlp.normalize import fold_diacritics, map_span, normalize_with_spans

logger = logging.getLogger(__name__)
# Every Rasa process that loads our model imports this module: the place to harden the server.
rasa_runtime.install()

LANGUAGE_KEY = "language"
ORIGINAL_TEXT_KEY = "text_original"
UNSUPPORTED_LANGUAGE_INTENT = "unsupported_language"
FALLBACK_INTENT = "nlu_fallback"
# Longer messages are cut for NLU only (the full text stays in the conversation); no real question
# needs more, and it bounds the time one message can cost.
MAX_NLU_CHARS = 1000


class _StatelessComponent(GraphComponent):
    """A component with no configuration, training or persisted state."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class VietnameseNormalizer(_StatelessComponent):
    """Normalises message text in place (see bot.nlp.normalize) before tokenisation."""

    def _normalize(self, message: Message, training: bool) -> None:
        original = message.get(TEXT)
        if not isinstance(original, str):
            return
        language = detect_language(original)
        text = original[:MAX_NLU_CHARS]
        pieces = normalize_with_spans(text, expand_teencode=language != "en")
        normalized = "".join(piece.text for piece in pieces)
        if training and message.get(ENTITIES):
            entities = []
            for entity in message.get(ENTITIES):
                span = map_span(
                    pieces, entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END]
                )
                if span is None:
                    logger.warning("Dropped an entity annotation lost by normalisation.")
                    continue
                entities.append(
                    {**entity, ENTITY_ATTRIBUTE_START: span[0], ENTITY_ATTRIBUTE_END: span[1]}
                )
            message.set(ENTITIES, entities)
        message.set(TEXT, normalized)
        if not training:
            message.set(ORIGINAL_TEXT_KEY, original, add_to_output=True)
            message.set(LANGUAGE_KEY, language, add_to_output=True)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalize(example, training=True)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._normalize(message, training=False)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class FoldedCountVectorsFeaturizer(CountVectorsFeaturizer):
    """CountVectorsFeaturizer on diacritic-folded tokens (accepts every CountVectors option)."""

    def _process_tokens(self, tokens: list[str], attribute: str = TEXT) -> list[str]:
        tokens = super()._process_tokens(tokens, attribute)
        if attribute == TEXT:
            tokens = [fold_diacritics(token) for token in tokens]
        return tokens


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class InputGuard(_StatelessComponent):
    """Overrides the intent for input no classifier should guess about."""

    @staticmethod
    def _override(message: Message, intent: str) -> None:
        message.set(
            INTENT, {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}, add_to_output=True
        )
        message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        message.set(ENTITIES, [], add_to_output=True)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(ORIGINAL_TEXT_KEY) or message.get(TEXT) or ""
            if text.startswith("/"):
                continue  # a button payload, already resolved
            if message.get(LANGUAGE_KEY) == "other":
                self._override(message, UNSUPPORTED_LANGUAGE_INTENT)
            elif not any(ch.isalnum() for ch in text):
                self._override(message, FALLBACK_INTENT)
        return messages
