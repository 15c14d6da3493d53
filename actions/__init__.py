"""Custom actions (rasa_sdk). Thin: each reads slots/entities, calls one function in ``bot``, replies.

The action server imports every module of this package (``rasa run actions --actions actions``).
"""
