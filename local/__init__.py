"""Local mode: the whole system on one machine, from template.yaml (SPEC "Local mode").

environment: the region and dummy credentials every process sets first; aws: the embedded,
serialised moto and its patches; loader: template.yaml read and translated; template: what it
declares (functions, routes, event sources, schedules); intrinsics: Ref, GetAtt, Sub...; resources:
creating what it declares; handlers: importing a function's code; runtime: handlers run in-process;
gateway: API Gateway and the /local/* routes; pump: event source mappings; scheduler: EventBridge
Scheduler and the clock; system: all of it together; `python -m local` serves it.
"""
