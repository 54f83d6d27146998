"""The management plane: every state-changing management call goes through ``ManagementService.execute``.

- ``service``: ManagementService, the unit of work (plan, one transaction, the view, events, listeners),
  merges of changes made elsewhere, audit reads.
- ``commands``: every command as a typed, frozen Struct (one class per command, a tagged union);
  ``checks``: the value checks the API handlers build commands with (400 naming the field).
- ``plan``: the Plan a command's handler returns.
- ``operations`` (instance / server / zone pull-out and pull-in), ``canary``, ``groups`` (groups and
  tags), ``bindings``, ``rules`` (rules and rule-groups), ``jextras`` (J group operations and static
  service instances): one module per command family, each registering one handler per command class.
- ``lifecycle``: open / retry, the periodic reload, audit retention.
- ``watch``: the shared change log (NOTIFY, pokes, polling); ``view``: which services a change concerns.
- ``ports``: the Store port the service needs (store/repository.py's SqlStore implements it).
"""
