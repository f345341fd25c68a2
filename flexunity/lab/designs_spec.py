"""Which designs a comparison runs: parsing ``--designs`` and ``--agents`` into labelled specs."""

from __future__ import annotations

from dataclasses import dataclass

from flexunity.errors import InputError
from flexunity.lab.agents import AGENTS
from flexunity.optimize import RULES

DESIGNS = ("none", "community", "pay-as-clear", "pay-as-bid", "cda", "bilateral", "hybrid")
AGENT_NAMES = {"truthful": "truthful", "zic": "ZI-C", "zip": "ZIP"}


@dataclass(frozen=True)
class Spec:
    """One design to run: its kind, and the pricing rule or agent it uses."""

    kind: str
    option: str = ""

    @property
    def label(self) -> str:
        if self.kind == "community":
            return f"community ({self.option})"
        if self.kind in ("pay-as-clear", "pay-as-bid", "cda"):
            return f"{self.kind} ({AGENT_NAMES[self.option]})"
        if self.kind == "bilateral" and self.option:
            return "bilateral (preferences)"
        return self.kind


def parse(
    designs: str,
    agents: str = "truthful,zic,zip",
    rules: str = "dual,sdr,mmr,bill-sharing",
    preferences: bool = False,
) -> list[Spec]:
    """Specs in the order asked; ``none`` always first (every saving is measured against it).

    ``community`` runs each rule of ``rules``; ``community-RULE`` one rule. Auctions run each agent
    of ``agents``. ``bilateral`` also runs with preferences when ``preferences`` is set."""
    agent_list = [a.strip() for a in agents.split(",") if a.strip()]
    rule_list = [r.strip() for r in rules.split(",") if r.strip()]
    for a in agent_list:
        if a not in AGENTS:
            raise InputError(f"unknown agent {a!r}; choose from {', '.join(AGENTS)}", where="--agents")
    for r in rule_list:
        if r not in RULES:
            raise InputError(f"unknown pricing rule {r!r}; choose from {', '.join(RULES)}", where="--rules")
    out = [Spec("none")]
    for token in (t.strip() for t in designs.split(",") if t.strip()):
        if token == "none":
            continue
        if token == "community":
            out += [Spec("community", r) for r in rule_list]
        elif token.startswith("community-") and token[len("community-") :] in RULES:
            out.append(Spec("community", token[len("community-") :]))
        elif token in ("pay-as-clear", "pay-as-bid", "cda"):
            out += [Spec(token, a) for a in agent_list]
        elif token == "bilateral":
            out.append(Spec("bilateral"))
            if preferences:
                out.append(Spec("bilateral", "preferences"))
        elif token == "hybrid":
            out.append(Spec("hybrid"))
        else:
            choices = ", ".join(DESIGNS) + ", community-RULE"
            raise InputError(f"unknown design {token!r}; choose from {choices}", where="--designs")
    return list(dict.fromkeys(out))
