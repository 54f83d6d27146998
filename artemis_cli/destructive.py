"""The one sequence of every destructive command: plan -> confirm -> run -> done.

A command computes a :class:`Plan` (what it would do, as a sentence for the question, lines of blast radius
for the terminal and a document for ``-o json``) and hands it to :func:`carry_out` with the call that does
it. ``--dry-run`` prints the plan and stops; without a terminal and without ``--yes`` the command refuses
(exit 2) rather than guess; otherwise the user is asked, the call runs, and the plan is printed as done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer

from artemis_cli.common import Refusal, stdin_is_tty

if TYPE_CHECKING:
    from artemis_cli.common import State


@dataclass(frozen=True, slots=True)
class Plan:
    """What a destructive command would do.

    ``action``: the verb phrase of the question and of the refusal ("pull out server 10.0.0.1");
    ``doc``: the plan as a document (``-o json``; ``dryRun`` is added); ``lines``: the blast radius in
    words, the first line being the one a refusal quotes.
    """

    action: str
    doc: dict[str, Any]
    lines: list[str] = field(default_factory=list)


def confirm(st: State, plan: Plan, *, yes: bool, dry_run: bool) -> bool:
    """Show the blast radius of a destructive action and decide whether to go on.

    Returns False for --dry-run (the plan was printed, nothing to do). Raises :class:`Refusal` (exit 2) when
    there is no terminal to ask and no --yes, or when the user answers no.
    """
    out = st.out
    text = list(plan.lines)
    if dry_run:
        if out.structured:
            out.document({**plan.doc, "dryRun": True})
        else:
            out.line(f"dry run: would {plan.action}")
            for line in text:
                out.line(f"  {line}")
        return False
    if not yes and not stdin_is_tty():
        # one line, with the blast radius in it: scripts log it, nobody could have answered anyway
        impact = f" ({' '.join(text[0].split())})" if text else ""
        raise Refusal(
            f"refusing to {plan.action} without confirmation{impact}: no terminal to ask; pass --yes to "
            "proceed or --dry-run to only show the effect"
        )
    for line in text:
        out.message(line)
    if yes:
        return True
    try:
        ok = typer.confirm(f"{plan.action[0].upper()}{plan.action[1:]}?", default=False, err=True)
    except (typer.Abort, EOFError, KeyboardInterrupt):
        ok = False
    if not ok:
        raise Refusal(f"not confirmed: did not {plan.action}")
    return True


def carry_out(
    st: State, plan: Plan, *, yes: bool, dry_run: bool, run: Callable[[], object], done: str
) -> None:
    """Plan -> confirm -> run -> done: ``run`` is called only when confirmed (not on --dry-run); ``done``
    is the sentence printed on a terminal afterwards (``-o json``: the plan with ``dryRun: false``)."""
    if not confirm(st, plan, yes=yes, dry_run=dry_run):
        return
    run()
    st.out.done({**plan.doc, "dryRun": False}, done)
