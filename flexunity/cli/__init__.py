"""The ``flexunity`` console command: a click group whose subcommands live in sibling modules.

Subcommands are imported lazily, so ``flexunity --help`` stays fast and a room's heavy imports
(web3, scipy) are paid only by the commands that need them. Each module ``flexunity/cli/<name>.py``
exposes one click command or group named in ``SUBCOMMANDS``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click

from flexunity import __version__
from flexunity.errors import UserError

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    # name: (module, short help shown by --help without importing the module)
    "clear": ("flexunity.cli.clear", "Clear one round of a scenario: dispatch, prices, bills, KPIs."),
    "scenario": ("flexunity.cli.scenario", "Write the pilot scenarios (Corby, Iberia) or generated ones."),
    "plot": ("flexunity.cli.plot", "Plot a cleared day: load, PV, import/export, batteries, prices."),
    "allocate": ("flexunity.cli.allocate", "Share savings or revenue among peers by a chosen rule."),
    "flex": ("flexunity.cli.flex", "Compute, offer and deliver the community's balancing flexibility."),
    "deploy": ("flexunity.cli.deploy", "Deploy and wire the contracts; write a deployment manifest."),
    "peer": ("flexunity.cli.peer", "Peer wallet commands: keystores, deposits, orders, bills."),
    "oracle": ("flexunity.cli.oracle", "Run the community manager's oracle against a chain."),
    "demo": ("flexunity.cli.demo", "Run full community rounds on a local devnet, then audit them."),
    "audit": ("flexunity.cli.audit", "Re-derive and verify every round from the chain alone."),
    "compare": ("flexunity.cli.compare", "Compare market designs side by side in an HTML report."),
    "bench": ("flexunity.cli.bench", "Benchmarks: clearing, gas, end-to-end rounds, market designs."),
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when that subcommand runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, (module, _) in SUBCOMMANDS.items() if _module_exists(module))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS:
            return None
        module_name, _ = SUBCOMMANDS[cmd_name]
        if not _module_exists(module_name):
            return None
        command = getattr(importlib.import_module(module_name), cmd_name.replace("-", "_"))
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUBCOMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _module_exists(module_name: str) -> bool:
    return importlib.util.find_spec(module_name) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="flexunity")
def cli() -> None:
    """FlexUnity: flexible energy communities with verifiable on-chain settlement."""


def main() -> None:
    """Console entry point: user mistakes become one line on stderr and a non-zero exit code."""
    try:
        cli.main(prog_name="flexunity", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UserError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
