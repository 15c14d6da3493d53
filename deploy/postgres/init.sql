-- First start of the PostgreSQL container: the bot's database is POSTGRES_DB (asean_bot);
-- Rasa's tracker store gets its own database, so conversations and content can be backed up,
-- restored and sized separately. Rasa creates its `events` table on first start.
CREATE DATABASE asean_tracker;
