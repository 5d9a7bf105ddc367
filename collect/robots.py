"""robots.txt rules, fetched once per origin per run (RFC 9309 semantics).

    200            the file's rules apply (Allow/Disallow, Crawl-delay for our user agent or *)
    404, other 4xx no rules: everything is allowed
    401, 403       treated like a 4xx per RFC 9309 (allowed); most sites mean "no robots file"
    5xx, network   the site is unreachable: everything is disallowed for this run
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.robotparser import RobotFileParser


@dataclass(slots=True)
class RobotsRules:
    origin: str
    status: int | None  # HTTP status of /robots.txt; None when it could not be fetched
    parser: RobotFileParser | None  # None: no usable file
    allow_all: bool
    note: str = ""
    delays: dict[str, float] | None = None  # Crawl-delay per user-agent group (lower-case; "*" too)

    def allowed(self, url: str, user_agent: str) -> bool:
        if self.parser is None:
            return self.allow_all
        return self.parser.can_fetch(user_agent, url)

    def crawl_delay(self, user_agent: str) -> float | None:
        """Crawl-delay of the group naming our product token, else of `*` (fractions allowed:
        urllib's parser only reads whole seconds)."""
        if not self.delays:
            return None
        agent = user_agent.lower()
        for name, delay in self.delays.items():
            if name != "*" and name in agent:
                return delay
        return self.delays.get("*")


def parse_crawl_delays(text: str) -> dict[str, float]:
    delays: dict[str, float] = {}
    agents: list[str] = []
    in_rules = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "user-agent":
            if in_rules:
                agents, in_rules = [], False
            agents.append(value.lower())
        else:
            in_rules = True
            if key == "crawl-delay":
                try:
                    delay = float(value)
                except ValueError:
                    continue
                if delay >= 0:
                    for agent in agents:
                        delays.setdefault(agent, delay)
    return delays


def product_token(user_agent: str) -> str:
    """The robots.txt name of our crawler: the first product token of the User-Agent."""
    return user_agent.split("/", 1)[0].split(" ", 1)[0] or user_agent


def rules_from_response(origin: str, status: int | None, body: bytes | None, error: str | None = None) -> RobotsRules:
    if status is None:
        return RobotsRules(origin, None, None, allow_all=False, note=f"robots.txt unreachable ({error}); nothing fetched from this host")
    if status >= 500:
        return RobotsRules(origin, status, None, allow_all=False, note=f"robots.txt answered {status}; nothing fetched from this host")
    if status >= 400:
        return RobotsRules(origin, status, None, allow_all=True, note=f"robots.txt answered {status}; no rules")
    parser = RobotFileParser()
    text = (body or b"").decode("utf-8", "replace")
    parser.parse(text.splitlines())
    return RobotsRules(origin, status, parser, allow_all=True, delays=parse_crawl_delays(text))
