#!/usr/bin/env bash
# mutate.sh: mutation testing of the diagnosis (links/) and the alert rules
# (alert/evaluate.go, alert/render.go).
#
# Each line of hack/mutants.tsv is one mutant:
#   id <TAB> file <TAB> original <TAB> replacement <TAB> note
# "original" must occur exactly once in the file (\n and \t are escapes).
# A note starting "EQUIV:" marks a mutant judged equivalent (no observable
# behaviour change); the note says why.
#
# For each mutant the script copies the file aside, applies the one
# replacement, runs `go test -count=1 ./links ./alert`, records the outcome
# and restores the file (also on Ctrl-C). Outcomes: killed (a test failed),
# survived, equivalent (survived and marked EQUIV), nobuild (the mutant does
# not compile: fix the mutant), nomatch (the original is not in the file).
#
# Run from anywhere:  hack/mutate.sh [id-regexp] > /tmp/mutants.out
# (about 5 s a mutant on 2 cores; DRY=1 only checks that each mutant applies).
# hack/mutate-results.txt records each mutant before and after the tests
# that kill them.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
list=${MUTANTS:-hack/mutants.tsv}
only=${1:-.}
backup=$(mktemp)
current=""
restore() { [ -n "$current" ] && cp "$backup" "$current"; current=""; }
trap 'restore; exit 130' INT TERM
declare -A total
while IFS=$'\t' read -r id file old new note; do
	case "$id" in ''|'#'*) continue ;; esac
	[[ "$id" =~ $only ]] || continue
	cp "$file" "$backup"
	current=$file
	n=$(OLD="$old" NEW="$new" perl -0777 -i -pe '
		BEGIN { ($o, $r) = map { s/\\n/\n/g; s/\\t/\t/g; $_ } ($ENV{OLD}, $ENV{NEW}); $c = 0 }
		$c = () = /\Q$o\E/g; s/\Q$o\E/$r/ if $c == 1;
		END { print STDERR "$c\n" }' "$file" 2>&1 >/dev/null)
	if [ "$n" != 1 ]; then
		outcome="nomatch($n)"
	else
		[ -n "${DRY:-}" ] && { restore; printf "%-10s ok\n" "$id"; continue; }
		out=$(go test -count=1 -timeout 120s ./links ./alert 2>&1)
		rc=$?
		if [ $rc -eq 0 ]; then
			outcome=survived
			[[ "$note" == EQUIV:* ]] && outcome=equivalent
		elif grep -q -e '\[build failed\]' -e '^# github.com' <<<"$out"; then
			outcome=nobuild
		else
			outcome=killed
		fi
	fi
	restore
	total[$outcome]=$(( ${total[$outcome]:-0} + 1 ))
	printf '%-10s %-12s %-22s %s\n' "$id" "$outcome" "$file" "$note"
done < "$list"
rm -f "$backup"
echo "----"
for k in "${!total[@]}"; do echo "$k: ${total[$k]}"; done | sort
