"""The notify service: who must hear what, in their language, over their channels."""
