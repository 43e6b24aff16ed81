"""Local mode: the whole system on one machine, from template.yaml (SPEC "Local mode").

aws: the embedded, serialised moto; template: what template.yaml declares; runtime: handlers run
in-process; gateway: API Gateway and the /local/* routes; pump: event source mappings; scheduler:
EventBridge Scheduler and the clock; system: all of it together; `python -m local` serves it.
"""
