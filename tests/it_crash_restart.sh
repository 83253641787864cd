#!/bin/sh
# it_crash_restart.sh - the whole stack SIGKILLed under load (run.sh, nginx,
# the pool's master and workers, the flusher, the offline model) and started
# again on the same spool: every turn that was answered 200 reaches the
# collector.
. "$SRC_DIR/tests/lib.sh"

# proc_start PID: the process's start time in clock ticks (stat field 22;
# the fields are counted after the command name, which may hold spaces).
proc_start() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}

# survivors FILE: how many of the "pid start" lines in FILE name a process
# that still runs: same start time, neither a zombie nor dead.
survivors() {
	local p start n=0
	while read -r p start; do
		[ -n "$start" ] && [ "$(proc_start "$p")" = "$start" ] &&
		    case "$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)" in
		    Z|X|"") ;; *) n=$((n + 1)) ;; esac
	done < "$1"
	echo "$n"
}
no_survivors() { [ "$(survivors "$1")" -eq 0 ]; }

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
# Each process is known by its pid and start time, so a pid the kernel
# hands to a new process later is not taken for a survivor.
for p in $pids; do echo "$p $(proc_start "$p")"; done > "$T/stack.pids"
kill_stack
rm -f "$T/go"
wait $load1 $load2 $load3 $load4
# A killed process still unmaps its memory before it is gone (slow under
# ASan), so its end is awaited, not sampled once.
wait_for 10 no_survivors "$T/stack.pids"
eq "no process of the stack survives SIGKILL" 0 "$(survivors "$T/stack.pids")"
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
