"""hallbook: citizen appointment booking for government service halls (SPEC R1-R23)."""

import os

# pydantic looks for plugins by scanning every installed distribution's entry points when the first
# model is built (~10-20 ms of a cold start); hallbook uses none
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
