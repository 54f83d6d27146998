"""`artemis cluster ...`: the nodes of the cluster as this node sees them."""

from __future__ import annotations

import typer

from artemis_cli.cmdline import group_app
from artemis_cli.common import state

app = group_app("Cluster nodes and their status.")


@app.command("nodes")
def nodes(ctx: typer.Context) -> None:
    """Nodes with status, url, region/zone and replication backlog (self first, then peers)."""
    from artemis_cli.cluster_view import NODE_COLS, nodes_view

    st = state(ctx)
    with st.out.spinner("asking the node"):
        rows = nodes_view(st.client)
    st.out.table(rows, NODE_COLS, empty="no nodes")
