"""The ASEAN assistant for Cà Mau province: Vietnamese NLP, Rasa components, database, channels, staff app."""

__version__ = "0.1.0"
