"""Generate shell completion scripts (completions/) and man pages (man/) from the Typer app.

    python -m artemis_cli.gen_docs            # (re)write both
    python -m artemis_cli.gen_docs --check    # exit 1 and list the stale files

Output is deterministic (no dates), so a test can compare the committed files with a fresh rendering.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROG = "artemis"
COMPLETE_VAR = "_ARTEMIS_COMPLETE"
COMPLETION_FILES = {"bash": "artemis.bash", "zsh": "_artemis", "fish": "artemis.fish"}

ENVIRONMENT = [
    ("ARTEMIS_SERVER", "Comma-separated registry node URLs (same as --server)."),
    ("ARTEMIS_CONTEXT", "Context to use (same as --context)."),
    ("ARTEMIS_CLIENT_CONFIG", "Client config file (same as --client-config)."),
    ("ARTEMIS_TOKEN", "Bearer token (same as --token); never printed."),
    ("ARTEMIS_OUTPUT", "Default output format: table, json, yaml or wide."),
    ("NO_COLOR", "Disable colours."),
    ("ARTEMIS_DEBUG", "Set to 1 to print a traceback with errors."),
]
EXIT_CODES = [
    ("0", "success"),
    ("1", "the server refused or failed the operation"),
    ("2", "usage error, or a destructive operation not confirmed (no terminal and no --yes)"),
    ("3", "not found (show of a missing service, instance, zone, canary config, group or rule)"),
    ("4", "server unreachable or timed out, after trying every configured server"),
]


def _esc(text: str) -> str:
    out = text.replace("\\", "\\e").replace("-", "\\-")
    lines = []
    for line in out.splitlines():
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def _root() -> Any:
    from typer.main import get_command

    from artemis_cli.main import app

    return get_command(app)


def _ctx(cmd: Any, name: str, parent: Any = None) -> Any:
    return cmd.make_context(name, [], parent=parent, resilient_parsing=True)


def _options(cmd: Any, ctx: Any) -> list[str]:
    lines: list[str] = []
    for p in cmd.get_params(ctx):
        rec = p.get_help_record(ctx)
        if rec is None:
            continue
        opts, help_text = rec
        lines.append(".TP")
        lines.append(f"\\fB{_esc(opts)}\\fR")
        lines.append(_esc(help_text) if help_text else "")
    return lines


def _usage(cmd: Any, ctx: Any) -> str:
    pieces = cmd.collect_usage_pieces(ctx)
    return f"{ctx.command_path} {' '.join(pieces)}".strip()


def _subcommands(cmd: Any, ctx: Any) -> dict[str, Any]:
    """name -> command, sorted by name (loads lazy groups)."""
    if not hasattr(cmd, "list_commands"):
        return {}
    return {n: cmd.get_command(ctx, n) for n in sorted(cmd.list_commands(ctx))}


def _is_group(cmd: Any) -> bool:
    return hasattr(cmd, "list_commands")


def _walk(cmd: Any, ctx: Any) -> list[tuple[Any, Any]]:
    """Every leaf command under ``cmd`` (depth first, sorted by name), with its context."""
    out: list[tuple[Any, Any]] = []
    for name, sub in _subcommands(cmd, ctx).items():
        sctx = _ctx(sub, name, ctx)
        if _is_group(sub):
            out.extend(_walk(sub, sctx))
        else:
            out.append((sub, sctx))
    return out


def _header(title: str, section_name: str, summary: str) -> list[str]:
    from artemis_client import __version__

    return [
        f'.TH "{title.upper()}" "1" "" "artemis {__version__}" "Artemis Manual"',
        ".SH NAME",
        f"{_esc(section_name)} \\- {_esc(summary)}",
    ]


def _footer() -> list[str]:
    lines = [".SH EXIT STATUS"]
    for code, text in EXIT_CODES:
        lines += [".TP", f"\\fB{code}\\fR", _esc(text)]
    lines += [".SH ENVIRONMENT"]
    for name, text in ENVIRONMENT:
        lines += [".TP", f"\\fB{name}\\fR", _esc(text)]
    return lines


def man_root(root: Any) -> str:
    ctx = _ctx(root, PROG)
    lines = _header(PROG, PROG, "operate an Artemis service registry cluster")
    lines += [
        ".SH SYNOPSIS",
        f"\\fB{PROG}\\fR [\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...",
        ".SH DESCRIPTION",
        _esc(root.help or ""),
        ".PP",
        _esc(
            "Results go to stdout (with -o json exactly one JSON document); messages, errors and "
            "spinners go to stderr. Every error is one line. Global options may also be given after the "
            "subcommand."
        ),
        ".SH GLOBAL OPTIONS",
    ]
    lines += _options(root, ctx)
    lines += [".SH COMMANDS"]
    subs = _subcommands(root, ctx)
    for name, sub in subs.items():
        page = f"{PROG}-{name}(1)" if _is_group(sub) else ""
        lines += [
            ".TP",
            f"\\fB{name}\\fR",
            _esc(sub.get_short_help_str(limit=200)) + (f" See {page}." if page else ""),
        ]
    lines += [
        ".SH FILES",
        ".TP",
        "\\fI<user config dir>/artemis/client.toml\\fR",
        _esc("Contexts (servers, token or token file, default region, zone and user); mode 0600."),
    ]
    lines += _footer()
    groups = [f"{PROG}-{n}(1)" for n, sub in subs.items() if _is_group(sub)]
    lines += [".SH SEE ALSO", _esc(", ".join(groups))]
    return "\n".join(lines) + "\n"


def man_group(root: Any, name: str) -> str:
    rctx = _ctx(root, PROG)
    group = root.get_command(rctx, name)
    gctx = _ctx(group, name, rctx)
    title = f"{PROG}-{name}"
    lines = _header(title, f"{PROG} {name}", group.get_short_help_str(limit=200))
    lines += [
        ".SH SYNOPSIS",
        f"\\fB{PROG} {name}\\fR \\fICOMMAND\\fR [\\fIARGS\\fR]...",
        ".SH DESCRIPTION",
        _esc(group.help or ""),
        ".SH COMMANDS",
    ]
    for cmd, cctx in _walk(group, gctx):
        lines += [
            ".SS " + _esc(cctx.command_path),
            ".nf",
            "\\fB" + _esc(_usage(cmd, cctx)) + "\\fR",
            ".fi",
            ".PP",
            _esc(" ".join((cmd.help or "").split())),
        ]
        opts = _options(cmd, cctx)
        if opts:
            lines += [".PP", "Options:", ".RS", *opts, ".RE"]
    lines += _footer()
    lines += [".SH SEE ALSO", f"{PROG}(1)"]
    return "\n".join(lines) + "\n"


def render() -> dict[Path, str]:
    from typer._completion_shared import get_completion_script

    files: dict[Path, str] = {}
    for shell, fname in COMPLETION_FILES.items():
        script = get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell)
        files[Path("completions") / fname] = script + "\n"
    root = _root()
    files[Path("man") / f"{PROG}.1"] = man_root(root)
    for name, sub in _subcommands(root, _ctx(root, PROG)).items():
        if _is_group(sub):
            files[Path("man") / f"{PROG}-{name}.1"] = man_group(root, name)
    return files


def stale(base: Path = ROOT) -> list[str]:
    """Files that are missing, different, or no longer generated."""
    files = render()
    out = []
    for rel, text in files.items():
        p = base / rel
        if not p.exists() or p.read_text() != text:
            out.append(str(rel))
    for d in ("completions", "man"):
        for p in sorted((base / d).glob("*")) if (base / d).exists() else []:
            if p.relative_to(base) not in files:
                out.append(str(p.relative_to(base)))
    return out


def write(base: Path = ROOT) -> list[str]:
    files = render()
    for rel, text in files.items():
        p = base / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    for d in ("completions", "man"):
        for p in sorted((base / d).glob("*")):
            if p.relative_to(base) not in files:
                p.unlink()
    return [str(r) for r in files]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--check" in args:
        bad = stale()
        for f in bad:
            print(f"stale: {f}", file=sys.stderr)
        if bad:
            print("run: python -m artemis_cli.gen_docs", file=sys.stderr)
        return 1 if bad else 0
    for f in write():
        print(f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
