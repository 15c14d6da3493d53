"""Custom actions (rasa_sdk). Thin: each reads slots/entities, calls into ``bot``, replies.

The action server imports every module of this package (``python -m bot.rasa.action_server``).
"""
