"""How well tickets are matched to incidents: the labelled sets through the intake hook, and how well the
weights generalize to products they were not fitted on.

1. Replays, as `statuspage tickets evaluate` does, the development set, the product scenarios the
   weights are fitted on (in-sample figures), and the held-out products of three blind rounds (never fitted on,
   errors never read): precision, recall and incident accuracy per set and per language.
2. Leave one scenario out: fits the weights on all fitting scenarios but one, scores the one left out
   (the decisions as the hook makes them, with and without tickets already linked), for every scenario.

    .venv/bin/python bench/bench_matching.py                         # SQLite, temporary databases
    .venv/bin/python bench/bench_matching.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
    .venv/bin/python bench/bench_matching.py --skip-cross-validation
    .venv/bin/python bench/bench_matching.py --skip-heldout            # while tuning: no held-out figures
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT / "tests" / "data"
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)   # a Monday morning: the figures do not move with the day


def replayed(paths: list[Path], database_url: str | None) -> list[str]:
    from statuspage.support import evaluation
    from statuspage.tools.evaluation import replay

    reports = [replay(source, now=NOW, database_url=database_url) for source in evaluation.sources(paths)]
    return evaluation.table(reports)


def cross_validated() -> list[str]:
    """Leave one fitting source out at a time: fit on the others, decide the left-out tickets."""
    from statuspage.support import model, training
    from statuspage.support.evaluation import sources
    from statuspage.support.matching import needed, score
    from statuspage.tools.training import build

    built = [(s, build(s, now=NOW)) for s in sources([DATA / "tickets_dev.jsonl", DATA / "scenarios"])]
    rows = [(s, b, *training.rows(b)) for s, b in built]
    lines, overall = [], {True: [], False: []}
    for k, (source, b, r, _y, index) in enumerate(rows):
        fitted = model.fit([x for j, d in enumerate(rows) if j != k for x in d[2]],
                           [v for j, d in enumerate(rows) if j != k for v in d[3]])
        for linked in (False, True):
            best: dict[str, tuple[float, int, float]] = {}
            for values, (ticket_id, incident_id, _expected, with_examples) in zip(r, index):
                if with_examples == linked:
                    p = fitted.probability(values)
                    best[ticket_id] = max(best.get(ticket_id, (0.0, 0, 1.0)), (p, incident_id, needed(values)))
            pairs = []
            for item in b.tickets:
                p, incident_id, bar = best.get(item.record["id"], (0.0, 0, 1.0))
                pairs.append((item.record["expected"].get("incident"), b.keys.get(incident_id) if p >= bar else None))
            overall[linked] += pairs
            s = score(pairs)
            lines.append(f"{source.name:18} {'linked' if linked else 'first':7} {s.tickets:5} "
                         f"{s.precision:9.3f} {s.recall:7.3f} {s.incident_accuracy:9.3f}")
    for linked, pairs in overall.items():
        s = score(pairs)
        lines.append(f"{'all left out':18} {'linked' if linked else 'first':7} {s.tickets:5} "
                     f"{s.precision:9.3f} {s.recall:7.3f} {s.incident_accuracy:9.3f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="replay in this (emptied) database instead of SQLite")
    parser.add_argument("--skip-cross-validation", action="store_true")
    parser.add_argument("--skip-heldout", action="store_true",
                        help="leave the held-out products out (while tuning: their figures are for checking only)")
    args = parser.parse_args()
    database = args.database_url or None
    print(f"database {'sqlite (temporary)' if not database else database.split('://')[0]}")
    for title, paths in (("development set", [DATA / "tickets_dev.jsonl"]),
                         ("product scenarios (fitted on)", [DATA / "scenarios"]),
                         *(() if args.skip_heldout else (
                             ("held-out products (never fitted on)", [DATA / "heldout"]),
                             ("held-out, second round (written blind)", [DATA / "heldout2"]),
                             ("held-out, fifth round (written blind)", [DATA / "heldout5"])))):
        if not paths[0].exists():
            continue
        print(f"\n{title}")
        for line in replayed(paths, database):
            print(line)
    if not args.skip_cross_validation:
        print("\nleave one scenario out ('first': no ticket linked yet; 'linked': earlier tickets linked)")
        print(f"{'left out':18} {'tickets':7} {'n':>5} {'precision':>9} {'recall':>7} {'incident':>9}")
        for line in cross_validated():
            print(line)


if __name__ == "__main__":
    main()
