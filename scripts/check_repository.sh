#!/bin/sh
# The repository's structural promises (docs/design.md §8 and §9), run by `make test`:
#   boundaries  only events/ includes RocksDB; engine/ and events/ include nothing above them,
#               events/base/ includes only itself;
#               each event type's name is spelled once, in engine/domain/; nothing refers to a
#               path outside the repository
#   format      every C++ file is as clang-format (.clang-format) writes it
# Prints each offending line; exits 1 when there is one.
set -u
cd "$(dirname "$0")/.." || exit 2
sources="api bench engine events projections replay tests"
fail=0
offending() { echo "$1:"; echo "$2" | sed 's/^/  /'; fail=1; }

case "${1:-boundaries}" in
boundaries)
    found=$(grep -rn --include='*.cc' --include='*.h' '#include <rocksdb/' api bench engine projections replay)
    [ -n "$found" ] && offending "RocksDB outside events/ (use Database::get/scan/write)" "$found"
    found=$(grep -rn --include='*.cc' --include='*.h' -E '#include "(projections|api|replay|bench)/' engine events)
    [ -n "$found" ] && offending "engine/ or events/ depends upwards" "$found"
    found=$(grep -rn --include='*.cc' --include='*.h' -E '#include "(engine|projections|api|replay|bench)/' events)
    [ -n "$found" ] && offending "events/ depends upwards" "$found"
    found=$(grep -rn --include='*.cc' --include='*.h' -E '#include "' events/base | grep -v '#include "events/base/')
    [ -n "$found" ] && offending "events/base/ depends on something above it" "$found"
    for type in $(grep -ho 'kType = "[A-Za-z]*"' engine/domain/*.h | cut -d'"' -f2); do
        found=$(grep -rn --include='*.cc' --include='*.h' "\"$type\"" api bench engine events projections replay | grep -v '^engine/domain/')
        [ -n "$found" ] && offending "event type $type spelled outside engine/domain/" "$found"
    done
    found=$(grep -rnI '\.\./shared' $sources docs scripts README.md Makefile CMakeLists.txt .ci 2>/dev/null | grep -v '^scripts/check_repository.sh:')
    [ -n "$found" ] && offending "a reference outside the repository" "$found"
    ;;
format)
    files=$(find $sources -name '*.cc' -o -name '*.h' | sort)
    # shellcheck disable=SC2086
    clang-format --dry-run --Werror $files 2>&1 | grep -E '^[^ ].*: (error|warning):' | sed -E 's/:[0-9]+:[0-9]+: (error|warning):.*//' | sort -u > /tmp/kakitome-format.$$
    if [ -s /tmp/kakitome-format.$$ ]; then
        offending "not formatted (make format)" "$(cat /tmp/kakitome-format.$$)"
    fi
    rm -f /tmp/kakitome-format.$$
    ;;
*)
    echo "usage: scripts/check_repository.sh [boundaries|format]" >&2
    exit 2
    ;;
esac
exit $fail
