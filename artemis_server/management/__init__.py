"""The management plane: every state-changing management call goes through ``ManagementService.execute``.

- ``service``: ManagementService, the unit of work (plan, one transaction, the view, events, listeners),
  merges of changes made elsewhere, audit reads.
- ``plan``: the Plan a command builds, and the argument checks every command family shares.
- ``operations`` (instance / server / zone pull-out and pull-in), ``canary``, ``groups`` (groups and
  tags), ``bindings``, ``rules`` (rules and rule-groups), ``jextras`` (J group operations and static
  service instances): one module per command family, each registering its commands with the service.
- ``lifecycle``: open / retry, the periodic reload, audit retention.
- ``watch``: the shared change log (NOTIFY, pokes, polling); ``view``: which services a change concerns.
- ``ports``: the Store port the service needs (store/repository.py's SqlStore implements it).
"""
