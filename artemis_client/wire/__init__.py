"""Every wire shape of Artemis (spec/api.md), one definition each, used by server and clients alike.

=========== =========================================================================================
module      what
=========== =========================================================================================
codec       tolerant decoding (N1), compact camelCase encoding (N2, T2), the ``CamelStruct`` base
ids         id limits and forbidden characters (T11), as annotated types on the fields
envelope    the envelope families A / B / C (0.4), ResponseStatus, answer -> result or error
registry    Instance, keys, Service, DiscoveryConfig; register / heartbeat / discovery requests, answers
status      nodes and their status, leases, config, deployment (2.5, 2.6)
push        WebSocket frames (2.13)
replication peer endpoints and the management change-log exchange (2.4, S14.2)
management  instance / server / zone operations and their records, canary configs (1.5, 2.7-2.9)
inventory   registered instances as registered, with leases and pull-outs (P endpoint, issue 17)
routing     groups, tags, bindings, route rules, rule-groups: R shapes and the Java models (1.5, 2.10)
audit       audit filters, audit log records, Java log rows (1.5, 2.11)
auth        login, tokens, users, sessions, login history (1.6, 2.12)
=========== =========================================================================================

Only the standard library and msgspec are imported, so a light client can use these without the server's
dependencies.
"""

from __future__ import annotations
