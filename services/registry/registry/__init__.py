"""SPRPA registry: Children, households, official places, monitoring visits, classification and flagging."""
