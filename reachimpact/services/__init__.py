"""The domain layer: plain functions that own data access and rules. Never imports reflex or fastapi."""
