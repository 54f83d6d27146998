"""`artemis cluster ...`: the nodes of the cluster as this node sees them."""

from __future__ import annotations

import typer

from artemis_cli.commands.server import NODE_COLS
from artemis_cli.common import state

app = typer.Typer(no_args_is_help=True, help="Cluster nodes and their status.")


@app.command("nodes")
def nodes(ctx: typer.Context) -> None:
    """Nodes with status, url, region/zone (self first, then peers)."""
    st = state(ctx)
    with st.out.spinner("asking the node"):
        doc = st.client.cluster_status()
    rows = doc.get("nodesStatus") or []
    st.out.table(rows, NODE_COLS, empty="no nodes")
