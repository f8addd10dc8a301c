#!/usr/bin/env bash
# Refresh the message catalogues from the source: extract, merge into de and fr, compile.
# Run from the repository root: statuspage/translations/update.sh
set -euo pipefail

PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
DIR=statuspage/translations
POT="$DIR/messages.pot"

if [[ ! -f babel.cfg ]]; then
    echo "update.sh: run me from the repository root (babel.cfg not found)" >&2
    exit 1
fi

"$PYBABEL" extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
    --ignore-dirs='.venv' --project=statuspage -o "$POT" .
# --no-fuzzy-matching: a guessed translation is worse than none; tests/unit/test_catalogues.py
# lists what is missing. Existing translations are kept; those of removed messages are dropped.
"$PYBABEL" update -i "$POT" -d "$DIR" --no-fuzzy-matching --ignore-obsolete
"$PYBABEL" compile -d "$DIR"
