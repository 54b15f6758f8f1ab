"""The `dropship-conformance` command line.

Subcommands are registered in ``_build_parser``; each has a ``_cmd_<name>`` function that
returns the exit code (0 ok, 1 failures, 2 the command could not run). Errors that stop a
command are one clean line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable

from . import __version__, validate
from .clientcheck import command as verify_client
from .errors import ConformanceError
from .harness import results, run

PROG = "dropship-conformance"
DEFAULT_DB = "dropship-sandbox.sqlite3"


class CommandError(ConformanceError):
    """A reason a command cannot run; printed as one line, exit code 2."""


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from .sandbox import seed
    from .sandbox.bugs import bug_table, bugs_named
    from .sandbox.control import CONTROL_BASE, DROPSHIP_BASE, ORDERS_BASE, info_document
    from .sandbox.profile import profile_named
    from .sandbox.server import PortInUse, is_loopback, serve_forever
    from .sandbox.store import Store, StoreUnavailable, display_location
    from .sandbox.tenants import ADMIN_BASE

    if args.list_bugs:
        print(bug_table())
        return 0
    try:
        bugs = bugs_named(args.bug)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    loopback = is_loopback(args.host)
    if args.control and not args.control_token and not loopback:
        raise CommandError(
            f"--control serves the test-control API without a token, which is allowed on a "
            f"loopback host only, not {args.host}: add --control-token TOKEN"
        )
    control_state = (
        "token required: Authorization: Bearer <--control-token>"
        if args.control_token
        else "no token; see /info"
        if args.control
        else "off; --control serves it"
    )

    def banner(base_url: str, store: Store) -> None:
        info = info_document(store, base_url)
        if not loopback:
            print(
                f"warning: the sandbox listens on {args.host}, beyond loopback: anyone who can "
                "reach it can read its (public, seeded) tokens and data",
                file=sys.stderr,
                flush=True,
            )
        lines = [
            f"{PROG} {__version__}: reference sandbox",
            f"  Dropship (Supplier Orders) API: {base_url}{DROPSHIP_BASE}",
            f"  Orders API:                     {base_url}{ORDERS_BASE}",
            f"  Test-control API:               {base_url}{CONTROL_BASE}  ({control_state})",
            f"  Database:                       {display_location(args.db)} "
            f"(synchronous={args.sync}, workers={args.workers})",
            f"  Tenant admin API:               {base_url}{ADMIN_BASE}  "
            f"({'token required' if args.admin_token else 'off; --admin-token serves it'})",
            f"  Profile:                        {args.profile}",
            f"  Bugs (deliberate, self-test):   {', '.join(sorted(bugs)) or 'none'}",
            "  Tokens (Authorization: Bearer <token>):",
        ]
        # Only the seeded identities: a tenant's token is its vendor's secret, not for a log.
        public = {token["token"] for token in seed.TOKENS}
        for token in info["identities"]:
            if token["token"] not in public:
                continue
            suppliers = ", ".join(map(str, token["suppliers"])) or "-"
            companies = ", ".join(map(str, token["companies"])) or "-"
            lines.append(
                f"    {token['token']:<24} suppliers: {suppliers:<7} companies: {companies}"
            )
        seeded_companies = {company["id"] for company in seed.COMPANIES}
        tenants = len(info["identities"]) - len(public)
        if tenants:
            lines.append(f"  Tenants: {tenants} (GET /_admin/tenants lists them)")
        for company in info["companies"]:
            if company["id"] not in seeded_companies:
                continue
            locations = ", ".join(map(str, company["locations"]))
            customers = ", ".join(c["id"] for c in company["customers"])
            lines.append(f"  Company {company['id']}: locations {locations}; customers {customers}")
        lines.append("  Press Ctrl+C to stop.")
        print("\n".join(lines), flush=True)

    if args.workers < 1:
        raise CommandError("--workers must be at least 1")
    if args.workers > 1 and args.db == ":memory:":
        raise CommandError("--workers > 1 needs a database the workers share, not ':memory:'")
    try:
        serve_forever(
            args.host,
            args.port,
            args.db,
            log_level=args.log_level,
            synchronous=args.sync,
            on_ready=banner,
            profile=profile_named(args.profile),
            control_api=args.control,
            control_token=args.control_token,
            admin_token=args.admin_token,
            workers=args.workers,
            bugs=bugs,
        )
    except (PortInUse, StoreUnavailable) as exc:
        raise CommandError(str(exc)) from None
    except KeyboardInterrupt:
        pass
    return 0


def _cmd_provision(args: argparse.Namespace) -> int:
    from .sandbox.store import Store, StoreUnavailable
    from .sandbox.tenants import MAX_NAME, provision

    if args.name is not None and not 0 < len(args.name) <= MAX_NAME:
        raise CommandError(f"--name must have 1 to {MAX_NAME} characters")
    try:
        store = Store(args.db)
    except StoreUnavailable as exc:
        raise CommandError(str(exc)) from None
    try:
        print(json.dumps(provision(store, args.name), indent=2), flush=True)
    finally:
        store.close()
    return 0


def _cmd_faults(args: argparse.Namespace) -> int:
    from .faults.catalogue import FAULTS
    from .faults.kill import main as kill_main

    if args.list:
        for fault in FAULTS:
            suites = ",".join(fault.suites)
            print(f"{fault.name:<40} {fault.requirement:<14} {suites:<18} {fault.description}")
        return 0
    unknown = set(args.names) - {fault.name for fault in FAULTS}
    if unknown:
        raise CommandError(f"no such fault: {', '.join(sorted(unknown))} (see --list)")
    return kill_main(args.names)


def _cmd_bugs(args: argparse.Namespace) -> int:
    from .faults.conditional import main as catch_main
    from .sandbox.bugs import bugs_named

    try:
        bugs_named(args.names)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    return catch_main(args.names or None)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Conformance harness and reference sandbox for the iQmetrix Supplier "
        "Orders (dropship) API and Orders API.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sandbox = sub.add_parser(
        "sandbox",
        help="serve the reference sandbox (both APIs and the test-control API)",
        description="Serve the reference sandbox: the Dropship API under /dropship/v1, the "
        "Orders API under /orders/v1 and the test-control API under /_sandbox. State is "
        "kept in a SQLite file and survives restarts.",
    )
    sandbox.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default %(default)s)"
    )
    sandbox.add_argument(
        "--port", type=int, default=8080, help="port to listen on (default %(default)s)"
    )
    sandbox.add_argument(
        "--db",
        default=os.environ.get("DROPSHIP_SANDBOX_DB") or DEFAULT_DB,
        help="SQLite database file, created and seeded if missing; ':memory:' for a "
        "throw-away sandbox; or a postgresql://user:password@host/db URL (the extra "
        "'postgres') for a server shared by several processes (default "
        "$DROPSHIP_SANDBOX_DB, else %(default)s in the working directory)",
    )
    sandbox.add_argument(
        "--sync",
        default="normal",
        choices=["normal", "full"],
        help="SQLite synchronous mode: normal survives a killed or restarted process; full "
        "also an OS crash or power loss, at one fsync per write (default %(default)s)",
    )
    sandbox.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="server log level; info and debug also log each request (default %(default)s)",
    )
    sandbox.add_argument(
        "--profile",
        default="strict",
        choices=["strict", "lenient"],
        help="strict follows the later editions; lenient every other reading the documents "
        "allow (specs/DEVIATIONS.md), to prove the harness accepts them (default %(default)s)",
    )
    sandbox.add_argument(
        "--bug",
        metavar="NAME",
        action="append",
        default=[],
        help="switch on a deliberate conditional bug (repeatable), to prove the harness "
        "catches it; see --list-bugs",
    )
    sandbox.add_argument(
        "--list-bugs", action="store_true", help="list the conditional bugs and exit"
    )
    sandbox.add_argument(
        "--control",
        action="store_true",
        help="serve the test-control API under /_sandbox (reset, clock, forced states, token "
        "list) without a token; allowed on a loopback --host only",
    )
    sandbox.add_argument(
        "--control-token",
        metavar="TOKEN",
        default=os.environ.get("DROPSHIP_SANDBOX_CONTROL_TOKEN") or None,
        help="serve the test-control API only to requests with Authorization: Bearer TOKEN "
        "(any --host; default $DROPSHIP_SANDBOX_CONTROL_TOKEN, which keeps it out of ps)",
    )
    sandbox.add_argument(
        "--admin-token",
        metavar="TOKEN",
        default=os.environ.get("DROPSHIP_SANDBOX_ADMIN_TOKEN") or None,
        help="serve the tenant provisioning API under /_admin to requests with "
        "Authorization: Bearer TOKEN; off without it (default $DROPSHIP_SANDBOX_ADMIN_TOKEN)",
    )
    sandbox.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes serving the one port, all on --db (use PostgreSQL, or an SQLite file, "
        "not ':memory:'; default %(default)s)",
    )
    sandbox.set_defaults(handler=_cmd_sandbox)
    sandbox_sub = sandbox.add_subparsers(dest="sandbox_command", metavar="SUBCOMMAND")
    provision = sandbox_sub.add_parser(
        "provision",
        help="create a tenant (a supplier and a company with their own token) and print it",
        description="Create a tenant in the sandbox's database: a supplier, a company with two "
        "locations and two customers, and one token standing for both; prints it as JSON. "
        "Running sandboxes on the same database serve it at once.",
    )
    provision.add_argument(
        "--db", default=argparse.SUPPRESS, help="the sandbox's database (as for sandbox --db)"
    )
    provision.add_argument("--name", help="the tenant's name (default 'Tenant N')")
    provision.set_defaults(handler=_cmd_provision)
    run.add_parser(sub)
    results.add_parser(sub)
    verify_client.add_parser(sub)
    validate.add_parser(sub)
    faults = sub.add_parser(
        "faults",
        help="run the harness against deliberately broken sandboxes and print the kill table",
        description="Each named fault wraps a fresh sandbox and breaks one requirement; the "
        "harness must fail on it with that requirement's id. A baseline run with no fault must "
        "pass. Exit code 0 only when every fault is killed and the baseline passes.",
    )
    faults.add_argument("names", nargs="*", help="faults to run (default: all)")
    faults.add_argument("--list", action="store_true", help="list the faults and exit")
    faults.set_defaults(handler=_cmd_faults)

    bugs = sub.add_parser(
        "bugs",
        help="run the harness against the sandbox with each conditional bug and print the "
        "catch table",
        description="Each conditional bug (sandbox --list-bugs) breaks one requirement under "
        "a condition (a shape, a sibling endpoint, a state, a boundary, the link); the harness "
        "must fail on it with that requirement's id. A baseline run with no bug must pass. "
        "Exit code 0 when the baseline passes and every bug's outcome matches the caught "
        "column of the table.",
    )
    bugs.add_argument("names", nargs="*", help="bugs to run (default: all)")
    bugs.set_defaults(handler=_cmd_bugs)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return handler(args)
    except CommandError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
