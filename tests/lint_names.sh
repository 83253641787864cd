#!/bin/sh
# lint_names.sh - the module prefix is the symbol prefix: every function
# defined in lib/<folder>/<module>.c, static or not, is named <module>_*.
# The exceptions are the conventional names of two utility modules:
# log.c's fatal/fatalx (OpenBSD httpd's log.c) and xalloc.c's x* wrappers.
cd "${SRC_DIR:-.}" || exit 1
bad=$(for f in lib/*/*.c; do
	m=$(basename "$f" .c)
	grep -nE '^[a-z_][a-z0-9_]*\(' "$f" | sed 's/(.*//' |
	while IFS=: read -r ln name; do
		case "$m:$name" in
		"$m:$m"_*|log:fatal|log:fatalx|xalloc:x*) ;;
		*) echo "$f:$ln: $name is not named ${m}_*" ;;
		esac
	done
done)
if [ -n "$bad" ]; then
	echo "$bad"
	echo "0 passed, $(echo "$bad" | wc -l) failed"
	exit 1
fi
echo "$(ls lib/*/*.c | wc -l) passed, 0 failed"
