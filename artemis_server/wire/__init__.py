"""Request and response shapes still to move to :mod:`artemis_client.wire` (issue 17)."""
