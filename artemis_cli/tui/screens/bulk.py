"""Bulk pull-out / pull-in of the instances selected on the Instances screen: one confirm for all of them,
showing what clients stop receiving (pull-out) or which instances may serve again (pull-in)."""

from __future__ import annotations

from typing import Any

from artemis_cli.tui import data
from artemis_cli.tui.screens import sources
from artemis_cli.tui.screens.forms import confirm_then
from artemis_cli.tui.screens.modals import MAX_LINES


def confirm_bulk(screen: Any, op: str, chosen: list[dict[str, Any]], pulls: data.PullOuts) -> None:
    """``op`` is ``pullout`` or ``pullin``; ``chosen`` the selected instances (JSON) of one service."""
    dash = screen.app
    if op == "pullout":
        targets = [i for i in chosen if not pulls.reason(i)]
        skipped = len(chosen) - len(targets)
        note = f"{skipped} selected instance(s) are out already and stay as they are" if skipped else ""
    else:
        targets = [i for i in chosen if pulls.reason(i) == "instance"]
        held = [i for i in chosen if pulls.reason(i) in ("server", "zone")]
        note = (
            f"{len(held)} selected instance(s) are held out by a server or zone pull-out and stay out"
            if held
            else ""
        )
    if not targets:
        verb = "serving" if op == "pullout" else "pulled out by an instance operation"
        screen.notify(f"none of the {len(chosen)} selected instances is {verb}", severity="warning")
        return
    keys = {data.instance_key(i) for i in targets}
    sid = str(targets[0].get("serviceId") or "")

    async def prepare() -> None:
        if op == "pullout":
            lines = await sources.pullout_radius(
                dash, sid, keys, f"Pull out {len(targets)} selected instances of {sid}"
            )
            lines.append("Clients stop receiving them (a 'delete' is pushed to watchers).")
        else:
            lines = [f"Pull in {len(targets)} selected instances of {sid}: they serve again"]
        ids = sorted(str(i.get("instanceId")) for i in targets)
        shown = ", ".join(ids[: MAX_LINES * 4])
        lines.append(
            f"  {shown}" + (f" ... and {len(ids) - MAX_LINES * 4} more" if len(ids) > MAX_LINES * 4 else "")
        )
        if note:
            lines.append(f"  {note}")
        verb = "Pull out" if op == "pullout" else "Pull in"

        async def run() -> None:
            failed = await sources.operate_instances(dash, targets, op)
            if failed:
                iid, exc = failed[0]
                dash.notify(
                    f"{len(failed)} of {len(targets)} failed: {iid}: {exc}", severity="error", timeout=8
                )
            screen.clear_selection()

        confirm_then(
            screen,
            f"{verb} {len(targets)} instances?",
            lines,
            run,
            verb=verb,
            danger=op == "pullout",
            done=f"{'pulled out' if op == 'pullout' else 'pulled in'}: {len(targets)} instances of {sid}",
        )

    screen.run_guarded(prepare(), "blast radius")
