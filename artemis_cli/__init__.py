"""The `artemis` command line: server, cluster, service, instance, zone, canary, route, audit, tui."""
