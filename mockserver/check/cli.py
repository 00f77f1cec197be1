"""`doitong-mock check BASE_URL --key KEY`: the command line of the checker.

Exit status: 0 when everything matches, 1 on drift (or a run its own limits cut short), 2 when
the endpoint cannot be reached, does not speak the Doitong API, refuses the key, or the command
line is wrong.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO
from urllib.parse import urlsplit

from .. import __version__
from .client import Client, Pacer, RequestCapReached, Unreachable
from .identify import NotTheApi
from .report import EXIT_UNUSABLE, Report
from .run import SURFACES, KeyRefused, Options, Run

KEY_ENV = "DOITONG_API_KEY"
SECRET_ENV = "DOITONG_WEBHOOK_SECRET"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="doitong-mock check",
        description="Run the mock's contract against an endpoint that speaks the Doitong API (the real one, "
        "or a mock) and report every difference. Spends nothing unless --spend is given.",
        epilog="Exit status: 0 everything matches, 1 drift, 2 endpoint unreachable or not the Doitong API, "
        "key refused, or bad options.",
    )
    p.add_argument("base_url", metavar="BASE_URL", help="e.g. https://api.doitong.com or http://127.0.0.1:8080")
    p.add_argument("--key", help=f"the API key to check with (default: ${KEY_ENV})")
    p.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")
    p.add_argument("--verbose", action="store_true", help="list the notes too (e.g. types only the target has)")
    p.add_argument("--spend", action="store_true",
                   help="also run the shortest real job per shape chosen with --surface (costs credits; asks first)")
    p.add_argument("--yes", action="store_true", help="do not ask before spending (for CI)")
    p.add_argument("--surface", choices=SURFACES, default=Options.surface,
                   help="how --spend submits: rest (POST /v1/avatar, one job), graphql (generate and "
                   "generateAvatar, two jobs) or both (three jobs) (default: %(default)s)")
    p.add_argument("--webhook-url", metavar="URL",
                   help="with --spend: webhookUrl of the job; its delivery is received here and checked")
    p.add_argument("--webhook-listen", metavar="[HOST:]PORT",
                   help="where --webhook-url's requests arrive on this machine (e.g. behind a tunnel); "
                   "default: the host and port of a local --webhook-url")
    p.add_argument("--webhook-secret", metavar="SECRET",
                   help=f"the account's webhook secret, to verify the signature (default: ${SECRET_ENV})")
    # The defaults are `Options`' (check/run.py), said once.
    p.add_argument("--webhook-wait", type=_positive, default=Options.webhook_wait, metavar="SECONDS",
                   help="how long to wait for the delivery after the job completes (default: %(default)g)")
    p.add_argument("--max-requests", type=_count, default=Options.max_requests, metavar="N",
                   help="hard cap on the requests of the whole run (default: %(default)s)")
    p.add_argument("--job-timeout", type=_positive, default=Options.job_timeout, metavar="SECONDS",
                   help="how long to poll a job before calling it stuck (default: %(default)g)")
    p.add_argument("--timeout", type=_positive, default=Options.timeout, metavar="SECONDS",
                   help="timeout of each request (default: %(default)g)")
    p.add_argument("--version", action="version", version=f"doitong-mock {__version__}")
    return p


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {value!r}")
    return number


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value!r}")
    return number


def parse_options(argv: Sequence[str], environ: dict[str, str] | None = None,
                  interactive: bool | None = None) -> tuple[Options, argparse.Namespace]:
    """Options from the command line, or a usage error (exit 2) that says what is wrong."""
    parser = build_parser()
    args = parser.parse_args(argv)
    environ = dict(os.environ) if environ is None else environ
    base = urlsplit(args.base_url)
    if base.scheme not in ("http", "https") or not base.hostname:
        parser.error(f"BASE_URL must be an http:// or https:// URL with a host, got {args.base_url!r}")
    if base.query or base.fragment:
        parser.error(f"BASE_URL must not have a query or a fragment, got {args.base_url!r}")
    key = args.key if args.key is not None else environ.get(KEY_ENV) or None
    if not key:
        parser.error(f"no API key: give --key KEY or set {KEY_ENV}")
    secret = args.webhook_secret if args.webhook_secret is not None else environ.get(SECRET_ENV) or None
    listen = None
    if args.webhook_url is not None:
        if not args.spend:
            parser.error("--webhook-url needs --spend: only a job sends a webhook")
        hook = urlsplit(args.webhook_url)
        if hook.scheme not in ("http", "https") or not hook.hostname:
            parser.error(f"--webhook-url must be an http:// or https:// URL with a host, got {args.webhook_url!r}")
        if args.webhook_listen is not None:
            listen = _listen(parser, args.webhook_listen)
        elif hook.hostname in LOOPBACK and hook.scheme == "http":
            listen = (hook.hostname, hook.port or 80)
        else:
            parser.error(f"--webhook-url {args.webhook_url} is not on this machine: give --webhook-listen "
                         "[HOST:]PORT where its requests arrive here (e.g. the port a tunnel forwards to)")
    elif args.webhook_listen is not None:
        parser.error("--webhook-listen needs --webhook-url")
    if args.spend and not args.yes:
        interactive = sys.stdin.isatty() if interactive is None else interactive
        if not interactive:
            parser.error("--spend starts paid jobs and there is no terminal to ask for confirmation: "
                         "add --yes to spend without asking (e.g. in CI)")
    options = Options(
        base_url=args.base_url.rstrip("/"), key=key, spend=args.spend, yes=args.yes, surface=args.surface,
        webhook_url=args.webhook_url, webhook_listen=listen, webhook_secret=secret, webhook_wait=args.webhook_wait,
        max_requests=args.max_requests, job_timeout=args.job_timeout, timeout=args.timeout,
    )
    return options, args


def _listen(parser: argparse.ArgumentParser, value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        parser.error(f"--webhook-listen must be [HOST:]PORT, got {value!r}")
    if not 0 < number < 65536:
        parser.error(f"--webhook-listen port must be 1 to 65535, got {number}")
    return (host.strip("[]") or "0.0.0.0"), number


def check(options: Options, *, confirm: Callable[[str], bool] | None = None,
          say: Callable[[str], None] | None = None, pacer: Pacer | None = None) -> Report:
    """Run the checks and return the report (the caller prints it)."""
    say = say or (lambda message: None)
    pacer = pacer or Pacer()
    pacer.notify = say
    report = Report(options.base_url)
    client = Client(options.base_url, options.key, max_requests=options.max_requests, timeout=options.timeout,
                    pacer=pacer)
    run = Run(options, client, report, confirm=confirm, say=say)
    from .free import run_free
    from .ratelimits import check_rate_limits

    try:
        try:
            run_free(run)
            if options.spend:
                _spend(run)
        except KeyRefused as exc:
            report.stopped, report.unusable = f"the key was refused: {exc}", True
        except NotTheApi as exc:
            report.stopped, report.unusable = str(exc), True
        except Unreachable as exc:
            report.stopped, report.unusable = f"{options.base_url} could not be reached: {exc}", True
        except RequestCapReached as exc:
            report.stopped = str(exc)
        if not report.unusable:
            check_rate_limits(run)
    finally:
        client.close()
    report.requests = client.sent
    return report


def _spend(run: Run) -> None:
    from .spend import run_spend
    from .webhook import Listener

    listen = run.options.webhook_listen
    if listen is None:
        run_spend(run, None)
        return
    try:
        listener = Listener(*listen)
    except OSError as exc:
        raise Unreachable(f"cannot listen on {listen[0]}:{listen[1]} for --webhook-url: {exc}") from None
    with listener:
        run_spend(run, listener)


def _ask(stdin: TextIO, stderr: TextIO) -> Callable[[str], bool]:
    def confirm(prompt: str) -> bool:
        stderr.write(prompt)
        stderr.flush()
        answer = stdin.readline()
        return answer.strip().lower() in ("y", "yes")

    return confirm


def main(argv: Sequence[str]) -> int:
    """`argv` is what follows `check` on the command line."""
    options, args = parse_options(argv)

    def say(message: str) -> None:
        print(f"doitong-mock check: {message}", file=sys.stderr, flush=True)

    try:
        report = check(options, confirm=_ask(sys.stdin, sys.stderr), say=say)
    except KeyboardInterrupt:
        print("doitong-mock check: interrupted", file=sys.stderr)
        return 130
    if args.json:
        print(report.render_json())
    if report.exit_code == EXIT_UNUSABLE and report.stopped and not report.results:
        say(report.stopped)  # nothing was compared: the reason is the whole report
    elif not args.json:
        print(report.render_table(verbose=args.verbose))
    return report.exit_code
