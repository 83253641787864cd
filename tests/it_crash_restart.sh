#!/bin/sh
# it_crash_restart.sh - the whole stack SIGKILLed under load (run.sh, nginx,
# the pool's master and workers, the flusher, the offline model) and started
# again on the same spool: every turn that was answered 200 reaches the
# collector.
. "$SRC_DIR/tests/lib.sh"

start_receiver
start_stack POOL_WORKERS=2
# A steady load; the kill lands while turns are in flight.
touch "$T/go"
for w in 1 2 3 4; do
	( i=0; while [ -e "$T/go" ]; do
		i=$((i + 1)); chat_load 1 1 "crash-$w-$i"
	done ) > "$T/load.$w" 2>/dev/null &
	eval "load$w=\$!"
done
check "the load is served" wait_for 30 sh -c "[ \$(cat '$T'/load.* | grep -c '^200 ') -ge 100 ]"
check "and shipped while it runs" wait_for 30 has_received 20
# Then the collector holds a request unanswered, so the kill lands with a
# batch in flight and a backlog in the spool.
receiver_mode silence
served=$(cat "$T"/load.* | grep -c '^200 ')
check "the load goes on" wait_for 30 sh -c "[ \$(cat '$T'/load.* | grep -c '^200 ') -ge $((served + 100)) ]"

pids=$(stack_pids)
nproc=$(echo "$pids" | wc -l)
echo "# the stack: $(ps -o comm= -p "$(echo $pids | tr ' ' ,)" | sort | uniq -c | awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }')"
check "the stack has its processes ($nproc: run.sh, nginx, the pool, the flusher, the model)" [ "$nproc" -ge 8 ]
kill_stack
rm -f "$T/go"
wait $load1 $load2 $load3 $load4
alive=0	# zombies waiting for pid 1 are dead
for p in $pids; do
	[ -r "/proc/$p/stat" ] && [ "$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)" != Z ] &&
	    alive=$((alive + 1))
done
eq "no process of the stack survives SIGKILL" 0 "$alive"
ok_trace_ids "$T"/load.* > "$T/ok.ids"
n=$(wc -l < "$T/ok.ids")
check "turns were answered 200 before the kill ($n)" [ "$n" -ge 100 ]
before=$(missing_turns "$T/ok.ids")
echo "# $nproc processes killed; turns answered 200: $n; not at the collector when killed: $before"

receiver_mode ok
# The same spool, the same run dir (stale sockets and pid files included).
start_stack POOL_WORKERS=2
check "after the restart every turn answered 200 is delivered" \
    wait_for 60 turns_delivered "$T/ok.ids"
eq "none missing" 0 "$(missing_turns "$T/ok.ids")"
check "every span in the spool is delivered" wait_for 30 has_received "$(spool_unique)"
eq "and /chat answers again" 200 "$(chat '{"messages":[{"role":"user","content":"soup"}]}')"
finish
