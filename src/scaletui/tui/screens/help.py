"""Keys and concepts."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from scaletui.tui.palette import palette_of
from scaletui.tui.widgets.choice_list import list_rows

KEYS = [
    ("space", "pause / resume"),
    ("+ / -", "faster / slower (1x to 600x)"),
    ("↑ ↓ (or j k, tab)", "select a component (or click it)"),
    ("a", "add components (pick kind, then size; + - count, r region)"),
    ("u", "upgrade / resize the selected component (it restarts)"),
    ("x", "remove the selected component"),
    ("p", "promote the selected replica to primary"),
    ("z", "undo the last addition while it boots (its cost refunded)"),
    ("b", "rewind: go back to an earlier minute and play on from there"),
    ("estimates", "some levels stop and ask for a number; enter answers, esc skips"),
    ("c", "configure: TTL, on write, failover, shards, sharding scheme, denormalize, autoscaling, "
          "load shedding, db timeout, breaker"),
    ("w", "why did requests fail: recent failed requests, hop by hop"),
    ("h", "a hint (one more each time)"),
    ("ctrl+p", "command palette: every action by name"),
    ("esc", "leave the game"),
    ("ctrl+q", "quit"),
]

CONCEPTS = [
    ("Vertical scaling", "Upgrade a node: more capacity, more cost, a restart, and a ceiling."),
    ("Load balancer", "Add one and several web servers: load spreads; one crash removes only its share."),
    ("Stateless web tier", "A session store lets any server serve any user; without it sessions stick and "
                           "a crash logs users out."),
    ("Replication", "Replicas take reads; writes go to the primary; lag grows with writes."),
    ("Failover", "A dead primary stops writes until a replica is promoted (by you, or automatically)."),
    ("Cache", "Hot reads from memory; hit rate follows popularity and size; a crash sends a herd to the "
              "database."),
    ("Cache consistency", "A write leaves an old value in the cache unless the write policy invalidates or "
                          "updates it; the TTL bounds how long. Stale reads count against a level's objective."),
    ("CDN", "Static content from the edge, paid per GB; an outage falls back to your web servers."),
    ("Message queue", "Async work leaves the request path; the queue absorbs surges; workers drain it."),
    ("Data centres", "Users go to the nearest healthy one; far ones pay the cross-region time."),
    ("Sharding", "Keys spread over primaries; a hot key still lands on one shard."),
    ("Timeouts and retries", "Clients give up after their timeout (the servers' work is wasted) and try again: "
                             "retries add load just when the system is overloaded."),
    ("Metastable failure", "With retries, a short overload can outlive its trigger; shed load or slow "
                           "the retries to break the loop."),
    ("Load shedding", "Cap the requests in flight behind a load balancer: the excess fails fast and cheap, "
                      "the rest is answered in time."),
    ("Thread-per-request", "A web server with threads holds a worker until the database answers: a slow "
                           "database fills the web tier, and more web servers only wait in more places."),
    ("Database timeouts", "configure web db_timeout: a worker waits at most that long (slower calls fail, "
                             "the database still works on them). db_retries: each retry is another call, "
                             "more load on a database that is already struggling."),
    ("Circuit breaker", "configure web breaker: when half the database calls fail, calls fail at once for a "
                        "while, freeing the web tier; then a few probe calls test the database. It costs "
                        "nothing per hour: it trades slow failures for fast ones."),
    ("Fan-out reads", "A feed or a search reads many shards and waits for the slowest: one slow shard "
                      "sets everyone's p99. Denormalize (one shard per read, k writes per write) or cache "
                      "the assembled result."),
    ("Resharding", "Moved keys are copied (load on their shards) and miss in the cache; hash mod n "
                   "moves about n/(n+1) of them, a consistent-hash ring about 1/(n+1)."),
    ("Error budget", "The failures the availability objective allows; spent = game over. Burn-rate alerts "
                     "warn first: '15x' spends it 15 times as fast as would last the whole run."),
    ("Theory line", "A selected server shows what Erlang C predicts at its load: utilization, mean queue "
                    "(q) and mean latency. '≠ sim': the simulation is more than 25% off it (a surge's "
                    "backlog, a restart, mixed work, threads held on the database); 'no steady state': "
                    "at or over full load, where the formula has no answer."),
]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q,f1", "close", "Close")]

    def compose(self) -> ComposeResult:
        st = palette_of(self).style  # the theme's colours for role names
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style=st("bold busy"), no_wrap=True)
        keys.add_column()
        for k, v in KEYS:
            keys.add_row(k, v)
        concepts = Table.grid(padding=(0, 2))
        concepts.add_column(style=st("bold warn"), no_wrap=True)
        concepts.add_column()
        for k, v in CONCEPTS:
            concepts.add_row(k, v)
        with Vertical(id="dialog", classes="wide"):
            yield Label("Keys", id="dialog-title")
            with VerticalScroll(id="dialog-body"):  # it scrolls; the key line stays below it
                yield Static(keys)
                yield Label("Concepts", classes="section")
                yield Static(concepts)
            yield Static("↑ ↓ scroll · esc close", classes="help-line")
        yield Footer()

    def on_resize(self) -> None:
        # and a row for the footer below the dialog
        self.query_one("#dialog-body").styles.max_height = max(3, list_rows(self.size.height - 1, 0))

    def action_close(self) -> None:
        self.dismiss(None)
