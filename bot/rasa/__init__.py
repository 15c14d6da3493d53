"""Rasa plug-ins and the launchers of the two Rasa processes (the Rasa server, the action server).

The launchers install the project's runtime changes explicitly where each server starts, instead
of as a side effect of importing something.
"""
