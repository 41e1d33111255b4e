// Whether gluster's FUSE clients answer, asked so that a hung one cannot hang the run. A client that died
// leaves its mount answering ENOTCONN; one that crashed but hangs in its crash handler (seen with glusterfs
// 10.3 after a remove-brick's graph switch), or that is stopped, answers nothing: a statfs sent to it waits
// in the kernel, unkillable, until the client process dies. So each mount is asked by a process of its own
// in the background, with its output in files, never on the run's stdout, and read after a deadline.
import { raw, shell, type ShellText } from '../engine/quote.ts'

/**
 * Seconds a mount may take to answer: longer than gv0's network.ping-timeout (10 s), within which a
 * client that only lost its bricks answers ENOTCONN.
 */
export const ANSWER_SECONDS = 20

/**
 * Shell: reads mount points on stdin, one a line, and prints `dead PATH` (statfs failed) or `hung PATH`
 * (no answer in ANSWER_SECONDS) on stderr for each one that does not answer. Waits only while one is out.
 */
export const probeMountsScript: ShellText = shell`d=$(mktemp -d) || exit 1; i=0
while read -r p; do i=$((i+1)); printf '%s\\n' "$p" > "$d/$i.path"; ( stat -f -- "$p" >/dev/null 2>&1; echo $? > "$d/$i.rc.tmp" && mv "$d/$i.rc.tmp" "$d/$i.rc" ) </dev/null >/dev/null 2>&1 & done
n=0; while [ $n -lt ${String(ANSWER_SECONDS * 5)} ]; do out=; for f in "$d"/*.path; do [ -e "$f" ] && [ ! -e "\${f%.path}.rc" ] && out=1; done; [ -z "$out" ] && break; sleep 0.2; n=$((n+1)); done
for f in "$d"/*.path; do [ -e "$f" ] || continue; p=$(cat "$f"); r="\${f%.path}.rc"; if [ ! -e "$r" ]; then echo "hung $p" >&2; elif [ "$(cat "$r")" != 0 ]; then echo "dead $p" >&2; fi; done
rm -rf "$d"`

/** Shell: the pids of the glusterfs clients serving `path` (its mount point is their last argument), one a line. */
export function clientPidsScript(path: string): ShellText {
  return shell`for p in $(pgrep -x glusterfs); do [ "$(tr '\\0' '\\n' < /proc/$p/cmdline 2>/dev/null | tail -n 1)" = ${path} ] && echo $p; done; true`
}

/** Shell: SIGKILL to the glusterfs client serving `path`, if any. */
export function killClientScript(path: string): ShellText {
  return shell`for p in $(${raw(clientPidsScript(path).script)}); do kill -9 $p; done; true`
}

/** Mount points that did not answer, from probeMountsScript's stderr. */
export function unanswered(stderr: string): { dead: Set<string>; hung: Set<string> } {
  const lines = stderr.split('\n')
  const pick = (word: string) => new Set(lines.filter((l) => l.startsWith(`${word} `)).map((l) => l.slice(word.length + 1)))
  return { dead: pick('dead'), hung: pick('hung') }
}
